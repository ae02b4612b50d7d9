package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/tributary-dev/tributary/services/generator/internal/synth"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
)

// Config is the generator's environment.
type Config struct {
	Log           logging.Config
	Data          datadir.Config
	Rate          float64 `env:"GENERATOR_RATE" envDefault:"1000" help:"events per second; 0 writes as fast as possible"`
	RowsPerFile   int     `env:"GENERATOR_ROWS_PER_FILE" envDefault:"100" help:"rows in each file"`
	Files         int     `env:"GENERATOR_FILES" envDefault:"0" help:"files to write, then exit; 0 runs until stopped"`
	Seed          uint64  `env:"GENERATOR_SEED" envDefault:"0" help:"random seed of the content; 0 picks one (and logs it)"`
	PurchaseRatio float64 `env:"GENERATOR_PURCHASE_RATIO" envDefault:"0.3" help:"share of purchases among events"`
	Products      int     `env:"GENERATOR_PRODUCTS" envDefault:"1000" help:"distinct products"`
	Users         int     `env:"GENERATOR_USERS" envDefault:"5000" help:"distinct users"`
	IDs           string  `env:"GENERATOR_IDS" envDefault:"v7" help:"event ids: v7 (time-ordered UUIDv7) or v4 (random UUIDv4, as many producers write them; the costlier case for the primary key)"`
	EventDay      string  `env:"GENERATOR_EVENT_DAY" help:"stamp events evenly across this UTC day (2006-01-02) instead of now, for a report or dashboard demo; needs GENERATOR_FILES"`
	HTTPAddr      string  `env:"HTTP_ADDR" envDefault:"127.0.0.1:9101" help:"address of /metrics, /healthz and /readyz; \"off\" disables them"`
}

// Validate refuses settings that cannot produce a valid file.
func (c *Config) Validate() error {
	var errs []error
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("GENERATOR_RATE is %g, want 0 or more", c.Rate))
	}
	if c.RowsPerFile < 1 {
		errs = append(errs, fmt.Errorf("GENERATOR_ROWS_PER_FILE is %d, want at least 1", c.RowsPerFile))
	}
	if c.Files < 0 {
		errs = append(errs, fmt.Errorf("GENERATOR_FILES is %d, want 0 or more", c.Files))
	}
	if c.PurchaseRatio < 0 || c.PurchaseRatio > 1 {
		errs = append(errs, fmt.Errorf("GENERATOR_PURCHASE_RATIO is %g, want 0 to 1", c.PurchaseRatio))
	}
	if c.Products < 1 || c.Users < 1 {
		errs = append(errs, errors.New("GENERATOR_PRODUCTS and GENERATOR_USERS must be at least 1"))
	}
	if c.IDs != "v7" && c.IDs != "v4" {
		errs = append(errs, fmt.Errorf("GENERATOR_IDS is %q, want v7 or v4", c.IDs))
	}
	if c.EventDay != "" {
		if _, err := time.Parse(time.DateOnly, c.EventDay); err != nil {
			errs = append(errs, fmt.Errorf("GENERATOR_EVENT_DAY %q is not a date (2006-01-02)", c.EventDay))
		}
		if c.Files == 0 {
			errs = append(errs, errors.New("GENERATOR_EVENT_DAY needs GENERATOR_FILES: the events are spread over a known count"))
		}
	}
	return errors.Join(errs...)
}

// eventClock stamps events: now, or spread over EventDay.
func (c Config) eventClock() func() time.Time {
	day, err := time.Parse(time.DateOnly, c.EventDay)
	if c.EventDay == "" || err != nil {
		return time.Now
	}
	return synth.Spread(day, 24*time.Hour, c.Files*c.RowsPerFile)
}
