package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/ctl/internal/redrive"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/logging"
	"github.com/tributary-dev/tributary/shared/natsconn"
	"github.com/tributary-dev/tributary/shared/secrets"
)

const redriveUsage = `usage:
  ctl redrive file [-list] [-all] [NAME...]   put fixed files from $DATA_DIR/rejected back into input
  ctl redrive dlq  [-list] [-all] [SEQ...]    put dead letters back onto the ingest subject they came from

-list shows what is there (and the reasons) without changing anything.
Configured by the services' environment: DATA_DIR and NATS_URL (defaults: those of task up),
NATS_NKEY_FILE (default: the admin identity task up made), STREAM_*.`

func runRedrive(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 || (args[0] != "file" && args[0] != "dlq") {
		fmt.Fprintln(stdout, redriveUsage)
		return errors.New("redrive: say file or dlq")
	}
	fs := flag.NewFlagSet("redrive "+args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprintln(stdout, redriveUsage) }
	list := fs.Bool("list", false, "list, change nothing")
	all := fs.Bool("all", false, "re-drive everything listed")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*list && !*all && fs.NArg() == 0 {
		return fmt.Errorf("redrive %s: name what to re-drive, or give -all or -list", args[0])
	}
	// The defaults are those of `task up`; re-publishing and deleting dead
	// letters takes its admin identity (docs/security.md).
	env, err := loadOperatorEnv(secrets.Admin, nil)
	if err != nil {
		return err
	}
	if args[0] == "file" {
		return redriveFiles(env.Data, *list, *all, fs.Args(), stdout)
	}
	return redriveDeadLetters(ctx, env, *list, *all, fs.Args(), stdout, log)
}

func redriveFiles(dirs datadir.Config, list, all bool, names []string, stdout io.Writer) error {
	if list || all {
		rejected, err := redrive.ListRejected(dirs)
		if err != nil {
			return err
		}
		if list {
			for _, r := range rejected {
				fmt.Fprintf(stdout, "%s\t%s\n", logging.SafeName(r.Name), r.Reason)
			}
			return nil
		}
		names = names[:0]
		for _, r := range rejected {
			names = append(names, r.Name)
		}
	}
	var errs []error
	for _, name := range names {
		if err := redrive.File(dirs, name); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "re-driven: rejected/%s -> input/%s\n", logging.SafeName(name), logging.SafeName(name))
	}
	return errors.Join(errs...)
}

func redriveDeadLetters(ctx context.Context, env operatorEnv, list, all bool, seqArgs []string, stdout io.Writer, log *slog.Logger) error {
	nc, err := natsconn.Connect(env.NATS, "ctl-redrive", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	for deadline := time.Now().Add(5 * time.Second); !nc.IsConnected() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if err := natsconn.CheckServer(nc); err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	dl := redrive.NewDeadLetters(js, env.Stream)
	var seqs []uint64
	if list || all {
		letters, err := dl.List(ctx)
		if err != nil {
			return err
		}
		if list {
			for _, l := range letters {
				fmt.Fprintf(stdout, "%d\t%s\t%s\t%s deliveries\t%s\t%s\n", l.Seq, l.At.Format(time.RFC3339), l.Subject,
					l.Deliveries, logging.SafeName(l.FileName), strings.ReplaceAll(l.Reason, "\n", "; "))
			}
			return nil
		}
		for _, l := range letters {
			seqs = append(seqs, l.Seq)
		}
	}
	for _, a := range seqArgs {
		seq, err := redrive.ParseSeq(a)
		if err != nil {
			return err
		}
		seqs = append(seqs, seq)
	}
	var errs []error
	for _, seq := range seqs {
		newSeq, err := dl.Redrive(ctx, seq)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(stdout, "re-driven: dead letter %d -> %s seq %d\n", seq, env.Stream.Stream, newSeq)
	}
	return errors.Join(errs...)
}
