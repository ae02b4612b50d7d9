package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// variant is one build of the pipeline's services: the working tree's, or
// that of the commit -compare names.
type variant struct {
	Ref   string // "" for the working tree
	Label string // how the table names it: "main (ee97ae2)"
	bin   string // its watcher, loader and nats-server
	src   string // its source tree, for its migrations; "" for the working tree
	// migrate: the bench migrates each run's database to the working
	// tree's schema. A commit's runs get an empty database that its own
	// loader migrates at start, as it shipped, so a newer schema cannot
	// break an older loader.
	migrate bool
}

func (v variant) suffix() string {
	if v.Ref == "" {
		return ""
	}
	return " @ " + v.Label
}

// services are the binaries a run starts, built at each variant;
// generator is the working tree's alone: it writes the datasets, which
// must be the same for every variant.
var services = []string{"./services/watcher", "./services/loader"}

// buildRef builds the services and nats-server at ref into a directory of
// their own. The source comes from `git archive` rather than a worktree: it
// registers nothing in the repository, so an interrupted bench leaves no
// stale worktree behind. remove deletes the source and the binaries.
func (b *bench) buildRef(ctx context.Context, ref string) (v variant, remove func(), err error) {
	commit, err := b.git(ctx, "rev-parse", "--verify", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return v, nil, fmt.Errorf("-compare %s: %w", ref, err)
	}
	short, err := b.git(ctx, "rev-parse", "--short", commit)
	if err != nil {
		return v, nil, err
	}
	tmp, err := os.MkdirTemp("", "tributary-bench-"+short+"-")
	if err != nil {
		return v, nil, err
	}
	remove = func() { _ = os.RemoveAll(tmp) }
	src := filepath.Join(tmp, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		remove()
		return v, nil, err
	}
	archive := exec.CommandContext(ctx, "git", "archive", "--format=tar", commit)
	archive.Dir = b.root
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	if untar.Stdin, err = archive.StdoutPipe(); err != nil {
		remove()
		return v, nil, err
	}
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	if err := untar.Start(); err != nil {
		remove()
		return v, nil, err
	}
	if err := archive.Run(); err != nil {
		_ = untar.Wait()
		remove()
		return v, nil, fmt.Errorf("git archive %s: %w: %s", short, err, strings.TrimSpace(stderr.String()))
	}
	if err := untar.Wait(); err != nil {
		remove()
		return v, nil, fmt.Errorf("unpack %s: %w: %s", short, err, strings.TrimSpace(stderr.String()))
	}
	v = variant{Ref: commit, Label: fmt.Sprintf("%s (%s)", ref, short), bin: filepath.Join(tmp, "bin"), src: src}
	if ref == short || strings.HasPrefix(commit, ref) {
		v.Label = short
	}
	b.log.Info("building binaries of another commit", "ref", ref, "commit", short, "dir", v.bin)
	if err := buildBinaries(ctx, src, v.bin, services); err != nil {
		remove()
		return v, nil, fmt.Errorf("build %s: %w", v.Label, err)
	}
	return v, remove, nil
}

// buildBinaries compiles pkgs of the workspace at root, and nats-server as
// that workspace pins it, into bin. GOWORK is set to root's own: one
// inherited from the environment would build another tree.
func buildBinaries(ctx context.Context, root, bin string, pkgs []string) error {
	work := filepath.Join(root, "go.work")
	if _, err := os.Stat(work); err != nil {
		work = "off"
	}
	for _, args := range [][]string{
		append([]string{"build", "-o", bin + "/"}, pkgs...),
		{"build", "-o", filepath.Join(bin, "nats-server"), "github.com/nats-io/nats-server/v2"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "GOWORK="+work)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
		}
	}
	return nil
}

func (b *bench) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = b.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
