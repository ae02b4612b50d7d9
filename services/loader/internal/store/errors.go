package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// DataError means PostgreSQL refused the content of a message: retrying the
// same batch cannot help, isolating the message can.
type DataError struct{ Err error }

func (e *DataError) Error() string { return "message content refused by PostgreSQL: " + e.Err.Error() }
func (e *DataError) Unwrap() error { return e.Err }

// IsData reports whether err blames the messages rather than the database
// or the network.
func IsData(err error) bool {
	var de *DataError
	return errors.As(err, &de)
}

// classify wraps errors caused by content (SQLSTATE classes 22 and 23) in a
// DataError. Everything else (connection loss, a restart, a serialization
// failure, a missing table) is the environment's fault and worth retrying:
// a message must never be dead-lettered because PostgreSQL was down.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")) {
		return &DataError{Err: err}
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
