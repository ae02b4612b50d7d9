package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Wait time.Duration `env:"TEST_WAIT" envDefault:"2s" help:"how long"`
}

func (i *inner) Validate() error {
	if i.Wait <= 0 {
		return errors.New("TEST_WAIT must be positive")
	}
	return nil
}

type settings struct {
	Name  string `env:"TEST_NAME" envDefault:"x" help:"a name"`
	Inner inner
}

func TestLoadDefaultsAndEnv(t *testing.T) {
	t.Setenv("TEST_NAME", "y")
	cfg, err := Load[settings]("svc", "does things", nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "y" || cfg.Inner.Wait != 2*time.Second {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestLoadValidatesNested(t *testing.T) {
	t.Setenv("TEST_WAIT", "-1s")
	_, err := Load[settings]("svc", "does things", nil, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "TEST_WAIT must be positive") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := Load[settings]("svc", "does things", []string{"-h"}, &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("err = %v, want ErrHelp", err)
	}
	for _, want := range []string{"svc: does things", "TEST_NAME", "a name", "TEST_WAIT", "2s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadRefusesArguments(t *testing.T) {
	_, err := Load[settings]("svc", "does things", []string{"extra"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "configured by environment") {
		t.Fatalf("err = %v", err)
	}
}

func TestFromMap(t *testing.T) {
	cfg, err := FromMap[settings](map[string]string{"TEST_NAME": "z"})
	if err != nil || cfg.Name != "z" || cfg.Inner.Wait != 2*time.Second {
		t.Fatalf("cfg = %+v, %v", cfg, err)
	}
	if _, err := FromMap[settings](map[string]string{"TEST_WAIT": "0s"}); err == nil {
		t.Fatal("invalid settings accepted")
	}
}
