package security

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/secrets"
	"github.com/tributary-dev/tributary/shared/testkit/natstest"
	"github.com/tributary-dev/tributary/tests/harness"
)

// The shipped TLS configuration: the client verifies the server, the
// server requires a client certificate from its CA, and the nkey still
// decides who the client is.
func TestNATSTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "tributary test CA")
	ca.issue(t, dir, "server", x509.ExtKeyUsageServerAuth)
	ca.issue(t, dir, "client", x509.ExtKeyUsageClientAuth)
	ca.write(t, filepath.Join(dir, "ca.pem"))
	other := newCA(t, "someone else's CA")
	other.write(t, filepath.Join(dir, "other-ca.pem"))
	other.issue(t, dir, "stranger", x509.ExtKeyUsageClientAuth)

	t.Setenv("NATS_TLS_CERT_FILE", filepath.Join(dir, "server.pem"))
	t.Setenv("NATS_TLS_KEY_FILE", filepath.Join(dir, "server-key.pem"))
	t.Setenv("NATS_TLS_CA_FILE", filepath.Join(dir, "ca.pem"))
	creds := harness.Credentials(t)
	s := natstest.Start(t, harness.ShippedNATSOptions(t, "deployments/nats/nats-tls.conf", creds))
	url := strings.Replace(s.ClientURL(), "nats://", "tls://", 1)

	// The services' own connection code, configured as an operator would.
	cfg := natsconn.Config{
		URL: url, NkeyFile: creds.NATS[secrets.Watcher].SeedFile, CAFile: filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "client.pem"), KeyFile: filepath.Join(dir, "client-key.pem"),
	}.ForService("watcher")
	nc, err := natsconn.Connect(cfg, "tls-test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !nc.IsConnected() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := natsconn.CheckServer(nc); err != nil {
		t.Fatalf("mutual TLS with an nkey: %v", err)
	}
	if state, err := nc.TLSConnectionState(); err != nil || len(state.PeerCertificates) == 0 {
		t.Fatalf("connection is not TLS: %v", err)
	}

	auth, _ := nats.NkeyOptionFromSeed(creds.NATS[secrets.Watcher].SeedFile)
	// The server's refusal of a client certificate reads differently as its
	// TLS alert races the client's first write; a client holding only a
	// certificate of another CA sends none (the server names its CA).
	const clientRefused = "certificate required|bad certificate|unknown certificate authority|connection closed by remote after TLS handshake"
	refused := []struct {
		what string
		opts []nats.Option
		want string
	}{
		{"no TLS", []nats.Option{auth}, "certificate signed by unknown authority"}, // nats.go upgrades, then cannot verify
		{"no client certificate", []nats.Option{auth, nats.RootCAs(filepath.Join(dir, "ca.pem"))}, clientRefused},
		{"certificate of another CA", []nats.Option{auth, nats.RootCAs(filepath.Join(dir, "ca.pem")),
			nats.ClientCert(filepath.Join(dir, "stranger.pem"), filepath.Join(dir, "stranger-key.pem"))}, clientRefused},
		{"server not verifiable", []nats.Option{auth, nats.RootCAs(filepath.Join(dir, "other-ca.pem")),
			nats.ClientCert(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem"))}, "certificate signed by unknown authority"},
		{"certificate without nkey", []nats.Option{nats.RootCAs(filepath.Join(dir, "ca.pem")),
			nats.ClientCert(filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem"))}, "Authorization Violation"},
	}
	for _, tt := range refused {
		target := url
		if tt.what == "no TLS" {
			target = s.ClientURL()
		}
		c, err := nats.Connect(target, tt.opts...)
		if err == nil {
			c.Close()
			t.Errorf("%s: connected", tt.what)
			continue
		}
		if !containsAny(err.Error(), strings.Split(tt.want, "|")) {
			t.Errorf("%s: %v, want %q", tt.what, err, tt.want)
			continue
		}
		t.Logf("%-26s -> %v", tt.what, err)
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, der: der}
}

func (ca *testCA) write(t *testing.T, path string) {
	t.Helper()
	writePEM(t, path, "CERTIFICATE", ca.der)
}

// issue writes name.pem and name-key.pem, valid for 127.0.0.1.
func (ca *testCA) issue(t *testing.T, dir, name string, usage x509.ExtKeyUsage) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
	writePEM(t, filepath.Join(dir, name+"-key.pem"), "EC PRIVATE KEY", keyDER)
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// containsAny accepts each wording a refusal may take (a TLS alert races
// with the client's first write).
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
