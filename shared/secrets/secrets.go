// Package secrets makes the credentials a deployment needs: an nkey per
// NATS identity (deployments/nats/auth.conf) and a password per PostgreSQL
// login role. Each secret is a file readable by its owner only, created
// once and never overwritten, so services read it through their *_FILE
// settings and it never travels through the environment, a command line
// or a log.
package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"
)

// NATS identities, as deployments/nats/auth.conf names them.
const (
	Watcher = "watcher"
	Loader  = "loader"
	Reader  = "reader"
	Admin   = "admin"
)

// NATSRoles are every NATS identity.
var NATSRoles = []string{Watcher, Loader, Reader, Admin}

// NKey is one NATS identity.
type NKey struct {
	SeedFile  string // the secret: the client's NATS_NKEY_FILE
	PublicKey string // not secret: the server's NATS_<ROLE>_NKEY
}

// Set is the credentials in one directory.
type Set struct {
	Dir  string
	NATS map[string]NKey // by role
}

// SeedFileName is the file holding role's nkey seed in a credentials directory.
func SeedFileName(role string) string { return "nats-" + role + ".nk" }

// PublicKeyEnv names the environment variable through which the server
// configuration receives role's public key.
func PublicKeyEnv(role string) string { return "NATS_" + strings.ToUpper(role) + "_NKEY" }

// ServerEnv is the environment the NATS server needs: every public key.
func (s *Set) ServerEnv() []string {
	env := make([]string, 0, len(NATSRoles))
	for _, role := range NATSRoles {
		env = append(env, PublicKeyEnv(role)+"="+s.NATS[role].PublicKey)
	}
	return env
}

// PasswordFile is the file holding the password of a PostgreSQL role,
// created on first use.
func (s *Set) PasswordFile(role string) (string, error) {
	path := filepath.Join(s.Dir, "pg-"+role+".password")
	err := createOnce(path, func() ([]byte, error) {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		// URL-safe, no padding: fits connection strings and SQL unchanged.
		return []byte(base64.RawURLEncoding.EncodeToString(b) + "\n"), nil
	})
	return path, err
}

// Ensure creates dir (mode 0700) and every NATS identity missing from it.
// Existing secrets are kept: a second run changes nothing.
func Ensure(dir string) (*Set, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create secrets dir: %w", err)
	}
	if info, err := os.Stat(dir); err != nil {
		return nil, err
	} else if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secrets dir %s is readable by others (mode %v): chmod 700 it", dir, info.Mode().Perm())
	}
	s := &Set{Dir: dir, NATS: map[string]NKey{}}
	for _, role := range NATSRoles {
		k, err := ensureNKey(filepath.Join(dir, SeedFileName(role)))
		if err != nil {
			return nil, fmt.Errorf("nkey of %s: %w", role, err)
		}
		s.NATS[role] = k
	}
	return s, nil
}

func ensureNKey(path string) (NKey, error) {
	err := createOnce(path, func() ([]byte, error) {
		kp, err := nkeys.CreateUser()
		if err != nil {
			return nil, err
		}
		seed, err := kp.Seed()
		if err != nil {
			return nil, err
		}
		return append(seed, '\n'), nil
	})
	if err != nil {
		return NKey{}, err
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		return NKey{}, err
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return NKey{}, fmt.Errorf("%s holds no valid nkey seed", path) // never echo the content
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return NKey{}, err
	}
	return NKey{SeedFile: path, PublicKey: pub}, nil
}

// createOnce writes the content make returns to path unless path exists,
// owner-readable only, without ever replacing a file: two processes racing
// leave one secret, not two.
func createOnce(path string, make func() ([]byte, error)) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	b, err := make()
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
