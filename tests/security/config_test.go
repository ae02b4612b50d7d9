package security

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/tests/harness"
)

// The shipped configurations keep their promises: identities required,
// monitoring on loopback, fsync before ack, and (cluster) one name and
// every node routed to every node.
func TestShippedNATSConfigurations(t *testing.T) {
	creds := harness.Credentials(t)
	for _, kv := range creds.ServerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	confs := []string{"deployments/nats/nats.conf"}
	for i := 1; i <= 3; i++ {
		confs = append(confs, fmt.Sprintf("deployments/nats/cluster/nats-%d.conf", i))
	}
	for i, conf := range confs {
		o, err := server.ProcessConfigFile(harness.RepoFile(conf))
		if err != nil {
			t.Fatalf("%s: %v", conf, err)
		}
		if o.HTTPHost != "127.0.0.1" {
			t.Errorf("%s: monitoring on %q, want loopback", conf, o.HTTPHost)
		}
		if !o.SyncAlways {
			t.Errorf("%s: sync_interval is not always", conf)
		}
		if o.NoAuthUser != "" || len(o.Users) != 0 || len(o.Nkeys) != len(secrets.NATSRoles) {
			t.Errorf("%s: %d nkeys, %d users, no_auth_user %q; want exactly the %d identities", conf, len(o.Nkeys), len(o.Users), o.NoAuthUser, len(secrets.NATSRoles))
		}
		for _, u := range o.Nkeys {
			if u.Permissions == nil || u.Permissions.Publish == nil || u.Permissions.Subscribe == nil {
				t.Errorf("%s: identity %s has no publish and subscribe permissions", conf, u.Nkey)
			}
		}
		if i == 0 {
			continue
		}
		if want := fmt.Sprintf("nats-%d", i); o.ServerName != want || o.Cluster.Name != "tributary" || len(o.Routes) != 3 {
			t.Errorf("%s: server %q in cluster %q with %d routes, want %s in tributary with 3", conf, o.ServerName, o.Cluster.Name, len(o.Routes), want)
		}
	}
}

// Without the public keys in the environment the server does not start:
// authentication cannot be forgotten.
func TestNATSConfigurationNeedsTheKeys(t *testing.T) {
	for _, role := range secrets.NATSRoles {
		t.Setenv(secrets.PublicKeyEnv(role), "") // restored after the test
		os.Unsetenv(secrets.PublicKeyEnv(role))
	}
	_, err := server.ProcessConfigFile(harness.RepoFile("deployments/nats/nats.conf"))
	if err == nil || !strings.Contains(err.Error(), "NATS_WATCHER_NKEY") {
		t.Fatalf("loading without the identities' keys: %v", err)
	}
	t.Logf("without keys: %v", err)
}
