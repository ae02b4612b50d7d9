package status

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/db"
	"github.com/tributary-dev/tributary/shared/testkit/pgtest"
)

// shipped is deployments/postgres/postgresql.conf: nothing to warn about.
var shipped = Settings{SharedBuffers: 4 << 30, MaxWALSize: 16 << 30, WALCompression: "lz4", CheckpointTimeout: 900,
	Fsync: "on", SynchronousCommit: "on", FullPageWrites: "on", Autovacuum: "on"}

func TestSettingsKnownToHurtAreNamed(t *testing.T) {
	defaults := Settings{SharedBuffers: 128 << 20, MaxWALSize: 1 << 30, WALCompression: "off", CheckpointTimeout: 300,
		Fsync: "on", SynchronousCommit: "on", FullPageWrites: "on", Autovacuum: "on"}
	unsafe := shipped
	unsafe.Fsync, unsafe.SynchronousCommit, unsafe.FullPageWrites, unsafe.Autovacuum = "off", "off", "off", "off"
	tests := []struct {
		name string
		give Settings
		want []string // the start of each warning
	}{
		{"shipped", shipped, nil},
		{"PostgreSQL's defaults", defaults, []string{"shared_buffers is 128MB, PostgreSQL's default", "max_wal_size is 1GB",
			"wal_compression is off", "checkpoint_timeout is 5m0s"}},
		{"durability off", unsafe, []string{"fsync is off", "synchronous_commit is off", "full_page_writes is off", "autovacuum is off"}},
	}
	for _, tt := range tests {
		got := tt.give.Warnings()
		if len(got) != len(tt.want) {
			t.Errorf("%s: warnings %q, want %d", tt.name, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s: warning %q, want it to start %q", tt.name, got[i], w)
			}
		}
	}
}

// Against the machine's PostgreSQL: its settings are read and judged (the
// shared server runs PostgreSQL's defaults, which status must flag), and
// the partitions of a migrated database are found.
func TestServerIsReadAndRendered(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	var st Settings
	if err := pool.QueryRow(ctx, settingsQuery).Scan(&st.SharedBuffers, &st.MaxWALSize, &st.WALCompression, &st.CheckpointTimeout,
		&st.Fsync, &st.SynchronousCommit, &st.FullPageWrites, &st.Autovacuum); err != nil {
		t.Fatal(err)
	}
	s, err := readServer(ctx, Sources{Database: pool})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Warnings, st.Warnings()) {
		t.Errorf("warnings %q, want %q", s.Warnings, st.Warnings())
	}
	now := time.Now().UTC()
	week := now.Truncate(24*time.Hour).AddDate(0, 0, 8)
	if !s.Partitioned || s.Days != 9 || s.Until == nil || !s.Until.Equal(week) || s.DefaultRows != 0 {
		t.Errorf("server = %+v, want 9 day partitions up to %s and an empty default one", s, week)
	}
	var out bytes.Buffer
	if err := Render(&out, &Snapshot{At: now, Server: s}, settings(t), "data"); err != nil {
		t.Fatal(err)
	}
	want := "user_activity: 9 days, up to " + week.Format(time.DateOnly) + " UTC; 0 rows in the default partition"
	if !strings.Contains(out.String(), want) || strings.Count(out.String(), "WARNING") != len(s.Warnings) {
		t.Errorf("status:\n%s\nwant %q and a warning per setting", out.String(), want)
	}
	// A week later, with no loader maintaining the partitions.
	out.Reset()
	if err := Render(&out, &Snapshot{At: now.AddDate(0, 0, 7), Server: s}, settings(t), "data"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no partition ahead of today") {
		t.Errorf("status a week later:\n%s\nwant a warning that no partition is ahead", out.String())
	}
}

// The configuration deployments/ ships is one status has nothing against.
func TestShippedSettingsRaiseNoWarning(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deployments", "postgres", "postgresql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	conf := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if k, v, ok := strings.Cut(line, "="); ok {
			conf[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), "'")
		}
	}
	size := func(v string) int64 {
		n, err := strconv.ParseInt(strings.TrimSuffix(v, "GB"), 10, 64)
		if err != nil || !strings.HasSuffix(v, "GB") {
			t.Fatalf("size %q: want whole GB", v)
		}
		return n << 30
	}
	minutes, err := strconv.Atoi(strings.TrimSuffix(conf["checkpoint_timeout"], "min"))
	if err != nil {
		t.Fatalf("checkpoint_timeout %q: want minutes", conf["checkpoint_timeout"])
	}
	on := func(k string) string {
		if v, ok := conf[k]; ok {
			return v
		}
		return "on" // PostgreSQL's default
	}
	st := Settings{SharedBuffers: size(conf["shared_buffers"]), MaxWALSize: size(conf["max_wal_size"]), WALCompression: conf["wal_compression"],
		CheckpointTimeout: float64(minutes * 60), Fsync: on("fsync"), SynchronousCommit: on("synchronous_commit"),
		FullPageWrites: on("full_page_writes"), Autovacuum: on("autovacuum")}
	if w := st.Warnings(); len(w) != 0 || st != shipped {
		t.Errorf("the shipped configuration reads as %+v with warnings %q; want %+v and none", st, w, shipped)
	}
}
