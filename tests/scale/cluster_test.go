// Package scale runs the pipeline the way it scales out: on a replicated
// NATS cluster, with several watchers and several loaders.
package scale

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/tests/harness"
)

// Three clustered nats-servers from the shipped configuration, in
// process, streams R3, two watchers and two loaders with their
// least-privilege identities; the stream leader is shut down while files
// flow. Every row must arrive exactly once: counts and price sums exact.
// (An in-process Shutdown hands leadership over first; see the next test
// for a crash.)
func TestClusterSurvivesLosingTheStreamLeader(t *testing.T) {
	creds := harness.Credentials(t)
	servers := harness.StartCluster(t, creds)
	env := harness.NewSecureOn(t, creds, servers...)
	loseStreamLeader(t, env, harness.Admin(t, creds, servers...), func(leader string) {
		s := serverNamed(t, servers, leader)
		s.Shutdown()
		s.WaitForShutdown()
	})
}

// The same with three nats-server processes, the stream leader killed
// with SIGKILL: no hand-over, a new leader must be elected.
func TestClusterSurvivesAKilledStreamLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("builds nats-server")
	}
	creds := harness.Credentials(t)
	nodes := harness.StartClusterProcesses(t, creds)
	env := harness.NewSecureAt(t, creds, harness.NodeURLs(nodes))
	admin, err := nats.Connect(harness.NodeURLs(nodes), adminAuth(t, creds), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	loseStreamLeader(t, env, admin, func(leader string) {
		for _, n := range nodes {
			if n.Name == leader {
				if err := n.Kill(); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		t.Fatalf("no node named %q", leader)
	})
}

func loseStreamLeader(t *testing.T, env *harness.Env, admin *nats.Conn, kill func(leader string)) {
	env.Vars["STREAM_REPLICAS"] = "3"
	js, err := jetstream.New(admin)
	if err != nil {
		t.Fatal(err)
	}
	env.Loader(nil)
	env.Loader(nil)
	env.Watcher(map[string]string{"WATCHER_ID": "w1"})
	env.Watcher(map[string]string{"WATCHER_ID": "w2"})

	const files, rows = 60, 500
	gen := env.StartGenerator(files, rows, map[string]string{"GENERATOR_RATE": "3000"}) // ~10 s of landing
	// Mid-run: files still landing and being published, rows being loaded.
	env.Eventually(60*time.Second, "a quarter published and loading", func() bool {
		return len(env.Files(datadir.Archive)) >= files/4 && env.Rows() > 0
	})

	before := streamInfo(t, js)
	if before.Config.Replicas != 3 || len(before.Cluster.Replicas) != 2 {
		t.Fatalf("stream has %d replicas (%d followers), want R3", before.Config.Replicas, len(before.Cluster.Replicas))
	}
	archived, rowsAtKill := len(env.Files(datadir.Archive)), env.Rows()
	kill(before.Cluster.Leader)
	killed := time.Now()
	t.Logf("stream leader %s gone: %d of %d files published, %d of %d rows loaded, %d messages waiting in the stream",
		before.Cluster.Leader, archived, files, rowsAtKill, files*rows, before.State.Msgs)
	// How long the pipeline stalls: the longest time without a file
	// archived or a batch committed while there was work left, from the
	// loss to the end (a figure for docs/scaling.md).
	stall := longestStall(env, files, files*rows, archived, rowsAtKill, killed)
	t.Logf("longest pause after the loss: %v without a file archived, %v without a batch committed",
		stall.publish.Round(time.Millisecond), stall.load.Round(time.Millisecond))

	select {
	case sig := <-gen.Wait():
		if sig.ExitCode != 0 {
			t.Fatalf("generator exited with %d", sig.ExitCode)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("generator did not finish")
	}
	time.Sleep(2 * time.Second) // let a duplicate, if any, surface

	after := streamInfo(t, js)
	t.Logf("new stream leader %s", after.Cluster.Leader)
	if after.Cluster.Leader == before.Cluster.Leader {
		t.Errorf("the leader is still %s", after.Cluster.Leader)
	}
	o := env.ReadOracle(env.Data.Path(datadir.Archive))
	loaded, distinct, cents := env.Loaded()
	t.Logf("files: %d archived; rows: %d in files, %d loaded, %d distinct; price sum: %d cents in files, %d loaded",
		len(env.Files(datadir.Archive)), o.Rows, loaded, distinct, o.Cents, cents)
	if o.Rows != files*rows || len(env.Files(datadir.Archive)) != files {
		t.Fatalf("archive holds %d rows in %d files, want %d in %d", o.Rows, len(env.Files(datadir.Archive)), files*rows, files)
	}
	if loaded != o.Rows || distinct != o.Rows || cents != o.Cents {
		t.Errorf("loaded %d rows (%d distinct), %d cents; want %d rows, %d cents", loaded, distinct, cents, o.Rows, o.Cents)
	}
	if n := env.Count("SELECT count(*) FROM user_activity_rejects"); n != 0 {
		t.Errorf("%d rejects, want 0", n)
	}
	if n := env.Count("SELECT count(*) FROM ingest_ledger"); n != files {
		t.Errorf("ledger has %d messages, want %d", n, files)
	}
	if dlq := streamMsgs(t, js, "INGEST_DLQ"); dlq != 0 {
		t.Errorf("%d dead letters, want 0", dlq)
	}
	// Every message acknowledged (a work queue drops what is acked): the
	// loaders' acks got through their permissions and the failover.
	env.Eventually(10*time.Second, "the work queue empty", func() bool { return streamMsgs(t, js, "INGEST") == 0 })
}

func adminAuth(t *testing.T, creds *secrets.Set) nats.Option {
	t.Helper()
	auth, err := nats.NkeyOptionFromSeed(creds.NATS[secrets.Admin].SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}

type stalls struct{ publish, load time.Duration }

// longestStall polls until every file is archived and every row loaded,
// and returns the longest gaps between progress of each.
func longestStall(env *harness.Env, files, rows, archived, loaded int, since time.Time) stalls {
	var s stalls
	lastPublish, lastLoad := since, since
	deadline := since.Add(2 * time.Minute)
	for {
		now := time.Now()
		if a := len(env.Files(datadir.Archive)); a > archived {
			s.publish = max(s.publish, now.Sub(lastPublish))
			archived, lastPublish = a, now
		}
		if r := env.Rows(); r > loaded {
			s.load = max(s.load, now.Sub(lastLoad))
			loaded, lastLoad = r, now
		}
		if archived >= files && loaded >= rows {
			return s
		}
		if now.After(deadline) {
			env.T.Fatalf("after 2m: %d of %d files archived, %d of %d rows loaded", archived, files, loaded, rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func streamInfo(t *testing.T, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	var last error
	for range 100 { // an election may be under way
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := js.Stream(ctx, "INGEST")
		if err == nil {
			var info *jetstream.StreamInfo
			info, err = s.Info(ctx)
			if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
				cancel()
				return info
			}
		}
		cancel()
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("stream info: %v", last)
	return nil
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return s.CachedInfo().State.Msgs
}

func serverNamed(t *testing.T, servers []*server.Server, name string) *server.Server {
	t.Helper()
	for _, s := range servers {
		if s.Name() == name {
			return s
		}
	}
	t.Fatalf("no server named %q", name)
	return nil
}
