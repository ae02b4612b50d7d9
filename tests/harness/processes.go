package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// Node is one nats-server process of a ProcessCluster.
type Node struct {
	Name string
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Kill ends the node with SIGKILL: no leadership hand-over, no flush, as
// a crash or a power cut would.
func (n *Node) Kill() error {
	if err := n.cmd.Process.Kill(); err != nil {
		return err
	}
	<-n.done
	return nil
}

// StartClusterProcesses runs the shipped 3-node cluster configuration as
// three nats-server processes (built from the module's nats-server) on
// random loopback ports, and waits for a JetStream meta leader. Their logs
// are in the test's temporary directory.
func StartClusterProcesses(t testing.TB, creds *secrets.Set) []*Node {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "nats-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/nats-io/nats-server/v2")
	build.Dir = RepoFile("tests")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	ports := freePorts(t, 9) // client, cluster, monitoring for each node
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1]))
	}
	nodes := make([]*Node, 3)
	for i := range nodes {
		name := fmt.Sprintf("nats-%d", i+1)
		logFile, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-c", RepoFile(fmt.Sprintf("deployments/nats/cluster/%s.conf", name)),
			"-a", "127.0.0.1", "-p", fmt.Sprint(ports[3*i]),
			"--cluster", fmt.Sprintf("nats://127.0.0.1:%d", ports[3*i+1]), "--routes", strings.Join(routes, ","),
			"-m", fmt.Sprint(ports[3*i+2]), "-sd", filepath.Join(dir, name))
		cmd.Env = append(os.Environ(), creds.ServerEnv()...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		n := &Node{Name: name, URL: fmt.Sprintf("nats://127.0.0.1:%d", ports[3*i]), cmd: cmd, done: make(chan struct{})}
		go func() { cmd.Wait(); logFile.Close(); close(n.done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-n.done:
			case <-time.After(10 * time.Second):
				_ = n.Kill()
			}
		})
		nodes[i] = n
	}
	auth, err := nats.NkeyOptionFromSeed(creds.NATS[secrets.Admin].SeedFile)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc, err := nats.Connect(NodeURLs(nodes), auth)
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return nodes
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster has no JetStream meta leader after 30s (%v); logs in %s", err, dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// NodeURLs is NATS_URL for clients of nodes.
func NodeURLs(nodes []*Node) string {
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.URL
	}
	return strings.Join(urls, ",")
}

// freePorts returns n ports free a moment ago (a small race with other
// processes of the machine).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	var lns []net.Listener
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}
