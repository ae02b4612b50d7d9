package db

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// LoaderRole is the role whose privileges migration 00003 defines: what
// the loader may do, and nothing more.
const LoaderRole = "tributary_loader"

// Querier runs statements; *pgx.Conn, pgx.Tx and *pgxpool.Pool are ones.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// SetLogin lets role log in with password. The password is sent as a
// SCRAM-SHA-256 verifier computed here, as psql's \password does, so the
// clear text never reaches the server, its logs or pg_stat_activity.
// With create, a missing role is created (with no privileges but LOGIN);
// without, a missing role is an error. Needs CREATEROLE or superuser.
func SetLogin(ctx context.Context, db Querier, role, password string, create bool) error {
	if len(password) < 16 {
		return errors.New("password is shorter than 16 characters")
	}
	verifier, err := scramVerifier(password)
	if err != nil {
		return err
	}
	var exists bool
	if err := db.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	verb := "ALTER"
	if !exists {
		if !create {
			return fmt.Errorf("role %s does not exist (migrations create %s; create others first)", role, LoaderRole)
		}
		verb = "CREATE"
	}
	// The verifier is base64 and '$:' only: it needs no quoting.
	if _, err := db.Exec(ctx, verb+" ROLE "+pgx.Identifier{role}.Sanitize()+" WITH LOGIN PASSWORD '"+verifier+"'"); err != nil {
		return fmt.Errorf("set password of role %s: %w", role, err)
	}
	return nil
}

// scramIterations is PostgreSQL's default (scram_iterations).
const scramIterations = 4096

// scramVerifier returns the verifier PostgreSQL stores for password
// (RFC 5802, RFC 7677; PostgreSQL's scram_build_secret):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func scramVerifier(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return scramVerifierWith(password, salt, scramIterations)
}

func scramVerifierWith(password string, salt []byte, iterations int) (string, error) {
	// SASLprep leaves printable ASCII as it is; anything else would need it.
	for _, r := range password {
		if r < 0x21 || r > 0x7e {
			return "", errors.New("password must be printable ASCII without spaces")
		}
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	stored := sha256.Sum256(mac(salted, "Client Key"))
	server := mac(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(stored[:]), b64(server)), nil
}
