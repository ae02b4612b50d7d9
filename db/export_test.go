package db

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

func FsReadDir() ([]string, error) { return fs.Glob(Migrations(), "*.sql") }

// MigrateUpTo applies the migrations up to version, as a database that
// has not seen the later ones yet.
func MigrateUpTo(ctx context.Context, pool *pgxpool.Pool, version int64) error {
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, Migrations(), goose.WithTableName("schema_migrations"))
	if err != nil {
		return err
	}
	_, err = provider.UpTo(ctx, version)
	return err
}
