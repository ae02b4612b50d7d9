// Package deploy checks what can be checked of deployments/ without a
// Docker engine: the compose file against the Compose specification, and
// its wiring against the code (images build from files that exist, every
// environment variable given to a service is one that service reads).
package deploy

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	generatorapp "github.com/tributary-dev/tributary/services/generator/app"
	loaderapp "github.com/tributary-dev/tributary/services/loader/app"
	watcherapp "github.com/tributary-dev/tributary/services/watcher/app"
	"github.com/tributary-dev/tributary/shared/config"
	"github.com/tributary-dev/tributary/shared/secrets"
)

const repo = "../.."

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	makeCredentials(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repo, "deployments", "compose.yaml")},
		cli.WithOsEnv, cli.WithName("tributary"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose file does not load: %v", err)
	}
	return p
}

func TestComposeFileIsValid(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"postgres", "nats", "migrate", "generator", "watcher", "loader"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s: %v", name, err)
		}
	}
}

// compose's PostgreSQL runs with the shipped ingest settings.
func TestPostgresRunsTheShippedSettings(t *testing.T) {
	svc, err := loadCompose(t).GetService("postgres")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(svc.Command, " "); got != "postgres -c config_file=/etc/postgresql/postgresql.conf" {
		t.Errorf("command %q, want the shipped config_file", got)
	}
	conf, err := filepath.Abs(filepath.Join(repo, "deployments", "postgres", "postgresql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var mounted bool
	for _, v := range svc.Volumes {
		if v.Target == "/etc/postgresql/postgresql.conf" && v.Source == conf && v.ReadOnly {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("volumes %+v: want deployments/postgres/postgresql.conf mounted read-only at /etc/postgresql/postgresql.conf", svc.Volumes)
	}
}

// knownVariables lists what each Go service reads from its environment.
func knownVariables() map[string]map[string]bool {
	vars := func(cfg any) map[string]bool {
		m := map[string]bool{}
		for _, v := range config.Variables(cfg) {
			m[v.Name] = true
		}
		return m
	}
	return map[string]map[string]bool{
		"generator": vars(generatorapp.Config{}),
		"watcher":   vars(watcherapp.Config{}),
		"loader":    vars(loaderapp.Config{}),
	}
}

func TestServicesGetOnlyVariablesTheyRead(t *testing.T) {
	p := loadCompose(t)
	for name, known := range knownVariables() {
		svc, err := p.GetService(name)
		if err != nil {
			t.Fatal(err)
		}
		for key := range svc.Environment {
			if !known[key] {
				t.Errorf("compose gives %s the variable %s, which it does not read", name, key)
			}
		}
		if svc.Build == nil || svc.Build.Args["SERVICE"] == nil || *svc.Build.Args["SERVICE"] != name {
			t.Errorf("%s is not built from the shared Dockerfile with SERVICE=%s", name, name)
		}
	}
}

func TestImagesBuildFromFilesThatExist(t *testing.T) {
	p := loadCompose(t)
	copySource := regexp.MustCompile(`^COPY\s+(?:--\S+\s+)*(\S+)\s+\S+$`)
	for _, svc := range p.Services {
		if svc.Build == nil {
			continue
		}
		dockerfile := filepath.Join(svc.Build.Context, svc.Build.Dockerfile)
		f, err := os.Open(dockerfile)
		if err != nil {
			t.Fatalf("%s: %v", svc.Name, err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := copySource.FindStringSubmatch(strings.TrimSpace(sc.Text()))
			if m == nil || strings.HasPrefix(sc.Text(), "COPY --from") {
				continue
			}
			src := strings.ReplaceAll(m[1], "${SERVICE}", *svc.Build.Args["SERVICE"])
			if _, err := os.Stat(filepath.Join(svc.Build.Context, src)); err != nil {
				t.Errorf("%s: Dockerfile copies %s, which does not exist: %v", svc.Name, src, err)
			}
		}
		f.Close()
	}
}

// makeCredentials creates deployments/secrets the way the compose file's
// header says to (ctl credentials), unless an operator already has, so the
// test also checks that the files compose references are the ones made.
func makeCredentials(t *testing.T) {
	t.Helper()
	dir := filepath.Join(repo, "deployments", "secrets")
	if _, err := os.Stat(dir); err == nil {
		return
	}
	set, err := secrets.Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := set.PasswordFile(secrets.Loader); err != nil {
		t.Fatal(err)
	}
	env := strings.Join(set.ServerEnv(), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "nats.env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
}
