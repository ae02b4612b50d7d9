package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/schema"
	"github.com/tributary-dev/tributary/shared/secrets"
)

// contractState is one line of ctl contracts.
type contractState struct {
	Name     string   `json:"name"`
	Table    string   `json:"table,omitempty"`
	Files    string   `json:"files,omitempty"`
	Header   string   `json:"header,omitempty"`
	Key      []string `json:"key,omitempty"`
	Subject  string   `json:"subject,omitempty"`
	Consumer string   `json:"consumer,omitempty"`
	State    string   `json:"state"` // "ok" or "refused"
	Reason   string   `json:"reason,omitempty"`
}

func runContracts(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("contracts", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the contracts as JSON")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ctl contracts [-json]\n\nLists the contracts declared in CONTRACTS_DIR: table, files pattern, header policy,\ndedupe key, subject and consumer, and whether each fits its table (read-only; DATABASE_URL).\nExits 1 when a contract is refused.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadOperatorEnv(secrets.Reader, nil)
	if err != nil {
		return err
	}
	set, err := contracts.Load(cfg.Contracts)
	if err != nil {
		return err
	}
	pc, err := cfg.Postgres.PoolConfig("tributary-contracts")
	if err != nil {
		return err
	}
	pc.MaxConns = 1
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return err
	}
	defer pool.Close()
	var out []contractState
	for name, err := range set.Refused {
		out = append(out, contractState{Name: name, State: "refused", Reason: err.Error()})
	}
	for _, d := range set.Declared {
		topo := cfg.Stream.ContractTopology(d.Name)
		st := contractState{Name: d.Name, Table: d.Table, Files: d.Files, Header: d.Header, Subject: topo.DataSubject, Consumer: topo.Consumer, State: "ok"}
		t, err := schema.Resolve(ctx, pool, d)
		switch {
		case err == nil:
			st.Key = t.Key
		case isRefused(err):
			st.State, st.Reason = "refused", err.Error()
		default:
			return err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b contractState) int { return strings.Compare(a.Name, b.Name) })
	log.Debug("contracts listed", "dir", cfg.Contracts, "count", len(out))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printContracts(stdout, out)
	}
	refused := 0
	for _, c := range out {
		if c.State != "ok" {
			refused++
		}
	}
	if refused > 0 {
		return fmt.Errorf("contracts: %d refused", refused)
	}
	return nil
}

func printContracts(w io.Writer, cs []contractState) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTRACT\tTABLE\tFILES\tHEADER\tKEY\tCONSUMER\tSTATE")
	for _, c := range cs {
		key := "(none: every row loads)"
		if len(c.Key) > 0 {
			key = fmt.Sprint(c.Key)
		}
		if c.State != "ok" {
			key = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Table, c.Files, c.Header, key, c.Consumer, c.State)
	}
	tw.Flush()
	for _, c := range cs {
		if c.Reason != "" {
			fmt.Fprintf(w, "\nrefused: %s\n", c.Reason) // the reason names the contract
		}
	}
}

// contractNames lists the contracts declared in dir, for the ledger's
// file keys.
func contractNames(dir string) ([]string, error) {
	set, err := contracts.Load(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range set.Declared {
		names = append(names, d.Name)
	}
	return names, nil
}

func isRefused(err error) bool {
	var r *schema.RefusedError
	return errors.As(err, &r)
}
