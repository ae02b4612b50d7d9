// Package report reads the analytics of db/migrations/00002_analytics.sql
// for a time range: revenue, purchases, activity and conversion per period,
// and the best-selling products. Money stays exact (contract.Cents) from
// PostgreSQL's DECIMAL sums to the printed table; only the chart uses floats.
package report

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/tributary-dev/tributary/shared/contract"
)

// DB starts the transaction a report reads in; *pgxpool.Pool and
// *pgx.Conn are DBs.
type DB interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// querier runs one statement of a report, inside its transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// snapshot is how a report reads: every statement in one read-only
// REPEATABLE READ transaction sees the same committed rows, so the
// sections of a report add up while a loader commits between them.
var snapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// Buckets are the period lengths a report can group by: each has a fixed
// duration, so empty periods can be shown as zero.
var Buckets = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

// Range selects the events of a report: From <= event_time < To, in UTC.
type Range struct {
	From, To time.Time
	Bucket   string // a key of Buckets
	Top      int    // products listed
}

// Validate checks the range.
func (r Range) Validate() error {
	if !r.From.Before(r.To) {
		return fmt.Errorf("the range is empty: from %s is not before to %s", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
	}
	if _, ok := Buckets[r.Bucket]; !ok {
		return fmt.Errorf("bucket %q is not minute, hour or day", r.Bucket)
	}
	if r.Top < 1 {
		return fmt.Errorf("top is %d, want at least 1", r.Top)
	}
	return nil
}

// Summary holds the figures of the whole range.
type Summary struct {
	Events, Views, Purchases int64
	Revenue                  contract.Cents
	ActiveUsers, Sessions    int64
	First, Last              *time.Time // nil when the range has no event
}

// Period holds the figures of one bucket.
type Period struct {
	Start                         time.Time
	Events, ActiveUsers, Sessions int64
	Purchases                     int64
	Revenue                       contract.Cents
}

// Product holds one product's figures.
type Product struct {
	ID               int32
	Views, Purchases int64
	Revenue          contract.Cents
	PurchasesPerView *float64 // nil when the product had no view
}

// Conversion holds one bucket's view-to-purchase figures.
type Conversion struct {
	Start                           time.Time
	Views, Purchases                int64
	PurchasesPerView                *float64
	ViewingSessions, BuyingSessions int64
	SessionConversion               *float64 // share of viewing sessions that bought
}

// Report is everything a report shows.
type Report struct {
	Range      Range
	Summary    Summary
	Periods    []Period // per Range.Bucket, empty buckets included
	Days       []Period // per day
	Conversion []Conversion
	Products   []Product // the Range.Top best by revenue
}

// Build queries every figure of r from one snapshot of the database.
func Build(ctx context.Context, db DB, r Range) (*Report, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, snapshot)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// Read only: ending it either way changes nothing.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return build(ctx, tx, r)
}

func build(ctx context.Context, q querier, r Range) (*Report, error) {
	from, to := r.From.UTC(), r.To.UTC()
	rep := &Report{Range: r}
	var err error
	if rep.Summary, err = summary(ctx, q, from, to); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	if rep.Periods, err = periods(ctx, q, r.Bucket, from, to); err != nil {
		return nil, fmt.Errorf("per %s: %w", r.Bucket, err)
	}
	if rep.Days, err = periods(ctx, q, "day", from, to); err != nil {
		return nil, fmt.Errorf("per day: %w", err)
	}
	if rep.Conversion, err = conversion(ctx, q, "day", from, to); err != nil {
		return nil, fmt.Errorf("conversion: %w", err)
	}
	if rep.Products, err = products(ctx, q, from, to, r.Top); err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	return rep, nil
}

func summary(ctx context.Context, q querier, from, to time.Time) (Summary, error) {
	rows, err := q.Query(ctx, `SELECT events, views, purchases, revenue, active_users, sessions, first_event, last_event
		FROM analytics.summary($1, $2)`, from, to)
	if err != nil {
		return Summary{}, err
	}
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (Summary, error) {
		var s Summary
		var revenue pgtype.Numeric
		if err := row.Scan(&s.Events, &s.Views, &s.Purchases, &revenue, &s.ActiveUsers, &s.Sessions, &s.First, &s.Last); err != nil {
			return s, err
		}
		s.Revenue, err = cents(revenue)
		return s, err
	})
}

// periods merges activity and revenue per bucket, with a zero row for
// every bucket of the range that had no event.
func periods(ctx context.Context, q querier, bucket string, from, to time.Time) ([]Period, error) {
	byStart := map[int64]*Period{} // by Unix second: time.Time keys would compare locations
	var out []Period
	step := Buckets[bucket]
	for t := from.Truncate(step); t.Before(to); t = t.Add(step) {
		out = append(out, Period{Start: t})
	}
	for i := range out {
		byStart[out[i].Start.Unix()] = &out[i]
	}
	at := func(t time.Time) (*Period, error) {
		if p, ok := byStart[t.Unix()]; ok {
			return p, nil
		}
		return nil, fmt.Errorf("period %s is not a %s of the range", t.Format(time.RFC3339), bucket)
	}
	rows, err := q.Query(ctx, `SELECT period, events, active_users, sessions FROM analytics.activity($1, $2, $3)`, bucket, from, to)
	if err != nil {
		return nil, err
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var start time.Time
		var events, users, sessions int64
		if err := row.Scan(&start, &events, &users, &sessions); err != nil {
			return struct{}{}, err
		}
		p, err := at(start)
		if err != nil {
			return struct{}{}, err
		}
		p.Events, p.ActiveUsers, p.Sessions = events, users, sessions
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT period, purchases, revenue FROM analytics.revenue($1, $2, $3)`, bucket, from, to)
	if err != nil {
		return nil, err
	}
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		var start time.Time
		var purchases int64
		var revenue pgtype.Numeric
		if err := row.Scan(&start, &purchases, &revenue); err != nil {
			return struct{}{}, err
		}
		p, err := at(start)
		if err != nil {
			return struct{}{}, err
		}
		p.Purchases = purchases
		p.Revenue, err = cents(revenue)
		return struct{}{}, err
	})
	return out, err
}

func conversion(ctx context.Context, q querier, bucket string, from, to time.Time) ([]Conversion, error) {
	rows, err := q.Query(ctx, `SELECT period, views, purchases, purchases_per_view, viewing_sessions, buying_sessions, session_conversion
		FROM analytics.conversion($1, $2, $3)`, bucket, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Conversion, error) {
		var c Conversion
		err := row.Scan(&c.Start, &c.Views, &c.Purchases, &c.PurchasesPerView, &c.ViewingSessions, &c.BuyingSessions, &c.SessionConversion)
		return c, err
	})
}

func products(ctx context.Context, q querier, from, to time.Time, top int) ([]Product, error) {
	rows, err := q.Query(ctx, `SELECT product_id, views, purchases, revenue, conversion
		FROM analytics.product_sales($1, $2) LIMIT $3`, from, to, top)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Product, error) {
		var p Product
		var revenue pgtype.Numeric
		if err := row.Scan(&p.ID, &p.Views, &p.Purchases, &revenue, &p.PurchasesPerView); err != nil {
			return p, err
		}
		var err error
		p.Revenue, err = cents(revenue)
		return p, err
	})
}

// cents converts an exact DECIMAL to hundredths, refusing anything that
// would need rounding (a sum of DECIMAL(10,2) never does).
func cents(n pgtype.Numeric) (contract.Cents, error) {
	if !n.Valid {
		return 0, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return 0, errors.New("revenue is not a finite number")
	}
	v := new(big.Int).Set(n.Int)
	exp := int64(n.Exp) + 2 // hundredths
	ten := big.NewInt(10)
	if exp >= 0 {
		v.Mul(v, new(big.Int).Exp(ten, big.NewInt(exp), nil))
	} else {
		var rem big.Int
		v.QuoRem(v, new(big.Int).Exp(ten, big.NewInt(-exp), nil), &rem)
		if rem.Sign() != 0 {
			return 0, fmt.Errorf("revenue %s has more than 2 decimal places", n.Int.String())
		}
	}
	if !v.IsInt64() {
		return 0, errors.New("revenue does not fit 64 bits of cents")
	}
	return contract.Cents(v.Int64()), nil
}
