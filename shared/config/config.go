// Package config reads a service's settings from the environment, with
// defaults and help taken from struct tags:
//
//	Workers int `env:"LOADER_WORKERS" envDefault:"2" help:"parallel COPY streams"`
//
// A settings struct may implement Validate() error; Load calls it.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/caarlos0/env/v11"
)

// ErrHelp is returned by Load when -h was asked for and usage was printed.
var ErrHelp = flag.ErrHelp

// Load parses the environment into a T. args are the command-line arguments
// (without the program name): only -h/--help is accepted, everything else is
// configured by environment.
func Load[T any](name, summary string, args []string, usage io.Writer) (T, error) {
	var cfg T
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Usage = func() { PrintUsage(usage, name, summary, &cfg) }
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q: %s is configured by environment (see -h)", fs.Arg(0), name)
	}
	if err := env.Parse(&cfg); err != nil {
		return cfg, fmt.Errorf("read environment: %w", err)
	}
	if err := validate(&cfg); err != nil {
		return cfg, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

// FromMap builds a T from vars instead of the process environment, with the
// same defaults and validation as Load. Tests and tools use it to configure
// a service exactly as an operator would.
func FromMap[T any](vars map[string]string) (T, error) {
	var cfg T
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, fmt.Errorf("read settings: %w", err)
	}
	if err := validate(&cfg); err != nil {
		return cfg, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

type validator interface{ Validate() error }

// validate calls Validate on the struct and on every nested struct that has
// one, so shared settings check themselves wherever they are embedded.
func validate(v any) error {
	var errs []error
	if val, ok := v.(validator); ok {
		errs = append(errs, val.Validate())
	}
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Struct && f.CanAddr() && f.Addr().CanInterface() {
			errs = append(errs, validate(f.Addr().Interface()))
		}
	}
	return errors.Join(errs...)
}

// PrintUsage writes the environment variables of cfg with defaults and help.
func PrintUsage(w io.Writer, name, summary string, cfg any) {
	fmt.Fprintf(w, "%s: %s\n\nUsage: %s [-h]\n\nConfigured by environment:\n", name, summary, name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range Variables(cfg) {
		def := v.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, def, v.Help)
	}
	tw.Flush()
}

// Variable documents one environment variable.
type Variable struct {
	Name, Default, Help string
}

// Variables lists the environment variables a settings struct reads, nested
// structs included, in declaration order.
func Variables(cfg any) []Variable {
	var out []Variable
	t := reflect.TypeOf(cfg)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
			out = append(out, Variables(reflect.New(f.Type).Interface())...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		out = append(out, Variable{Name: name, Default: f.Tag.Get("envDefault"), Help: f.Tag.Get("help")})
	}
	return out
}
