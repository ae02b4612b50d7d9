package input

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-dev/tributary/shared/contract"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// buildCtl builds the operator tool from this workspace.
func buildCtl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ctl")
	cmd := exec.Command("go", "build", "-o", bin, "./services/ctl")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./services/ctl: %v\n%s", err, out)
	}
	return bin
}

// ctl runs the tool against the pipeline's data directory and NATS.
func (p *pipeline) ctl(bin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATA_DIR="+p.Data.Dir, "NATS_URL="+p.NATS.ClientURL(),
		"NATS_NKEY_FILE="+p.Creds.NATS[secrets.Admin].SeedFile)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	p.T.Logf("$ ctl %s\n%s%s", strings.Join(args, " "), o.String(), e.String())
	return o.String(), e.String(), err
}

// TestRedrive fixes what the pipeline refused and puts it back with
// `ctl redrive`: a rejected file, then a dead letter. Each loads once, and
// re-driving again changes nothing.
func TestRedrive(t *testing.T) {
	bin := buildCtl(t)
	p := startPipeline(t, map[string]string{"CONSUMER_MAX_DELIVER": "2"})
	rows := "fix-1,2026-11-26 10:00:00,view,1,1.00,1,s\nfix-2,2026-11-26 10:00:00,purchase,2,2.50,1,s\n"
	p.Land("fix-me.csv", []byte("event_id,when,event_type,product_id,price,user_id,session_id\n"+rows))
	p.idle(30 * time.Second)
	const reason = `the header (line 1) is "event_id,when,event_type,product_id,price,user_id,session_id"; want "event_id,event_time,event_type,product_id,price,user_id,session_id"`
	if out, _, err := p.ctl(bin, "redrive", "file", "-list"); err != nil || out != "fix-me.csv\t"+reason+"\n" {
		t.Fatalf("redrive file -list = %q, %v", out, err)
	}

	// The operator fixes the header in rejected/ and re-drives the file.
	rejected := filepath.Join(p.Data.Path(datadir.Rejected), "fix-me.csv")
	fixed := []byte(contract.HeaderLine + "\n" + rows)
	if err := os.WriteFile(rejected, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, err := p.ctl(bin, "redrive", "file", "fix-me.csv"); err != nil || out != "re-driven: rejected/fix-me.csv -> input/fix-me.csv\n" {
		t.Fatalf("redrive file = %q, %v", out, err)
	}
	p.idle(30 * time.Second)
	if got := p.strings("SELECT event_id FROM user_activity ORDER BY 1"); strings.Join(got, " ") != "fix-1 fix-2" {
		t.Errorf("loaded %q after the re-drive, want fix-1 fix-2", got)
	}
	for _, name := range []string{"fix-me.csv", "fix-me.csv" + datadir.ReasonSuffix} {
		if _, err := os.Lstat(filepath.Join(p.Data.Path(datadir.Rejected), name)); err == nil {
			t.Errorf("rejected/%s is still there", name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(p.Data.Path(datadir.Archive), "fix-me.csv")); err != nil || !bytes.Equal(b, fixed) {
		t.Errorf("the fixed file is not archived (%v)", err)
	}
	if _, stderr, err := p.ctl(bin, "redrive", "file", "fix-me.csv"); err == nil || !strings.Contains(stderr, "rejected/fix-me.csv does not exist") {
		t.Errorf("a second re-drive: %v %q", err, stderr)
	}

	// A file PostgreSQL refuses as a whole (a constraint added by mistake
	// on the ledger; a row refused alone would only be rejected) is
	// dead-lettered after its failed attempts; once the constraint is
	// dropped it is re-driven from the dead-letter stream.
	if _, err := p.Pool.Exec(t.Context(), "ALTER TABLE ingest_ledger ADD CONSTRAINT by_mistake CHECK (file_name <> 'refused.csv')"); err != nil {
		t.Fatal(err)
	}
	p.Land("refused.csv", []byte(contract.HeaderLine+"\nref-1,2026-11-26 10:00:00,view,13,1.00,1,s\nref-2,2026-11-26 10:00:00,view,14,1.00,1,s\n"))
	p.Eventually(30*time.Second, "the refused file in the dead-letter stream", func() bool { return p.streamMsgs("INGEST_DLQ") == 1 })
	out, _, err := p.ctl(bin, "redrive", "dlq", "-list")
	if err != nil || !strings.Contains(out, "\tingest.data\t") ||
		!strings.Contains(out, "refused.csv\tmessage content refused by PostgreSQL: insert ledger: ERROR: new row for relation \"ingest_ledger\" violates check constraint \"by_mistake\"") {
		t.Fatalf("redrive dlq -list = %q, %v", out, err)
	}
	if _, err := p.Pool.Exec(t.Context(), "ALTER TABLE ingest_ledger DROP CONSTRAINT by_mistake"); err != nil {
		t.Fatal(err)
	}
	if out, _, err := p.ctl(bin, "redrive", "dlq", "-all"); err != nil || !strings.HasPrefix(out, "re-driven: dead letter 1 -> INGEST seq ") {
		t.Fatalf("redrive dlq -all = %q, %v", out, err)
	}
	p.idle(30 * time.Second)
	if n := p.Count("SELECT count(*) FROM user_activity WHERE event_id IN ('ref-1', 'ref-2')"); n != 2 {
		t.Errorf("%d rows of the re-driven file loaded, want 2", n)
	}
	if n := p.Count("SELECT count(*) FROM ingest_ledger WHERE file_name = 'refused.csv'"); n != 1 {
		t.Errorf("%d ledger rows for the re-driven file, want 1", n)
	}
	if n := p.streamMsgs("INGEST_DLQ"); n != 0 {
		t.Errorf("%d dead letters left", n)
	}
	if _, stderr, err := p.ctl(bin, "redrive", "dlq", "1"); err == nil || !strings.Contains(stderr, "dead letter 1 does not exist") {
		t.Errorf("a second re-drive: %v %q", err, stderr)
	}
	if n := p.Rows(); n != 4 {
		t.Errorf("%d rows in all, want 4", n)
	}
}
