package status

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-dev/tributary/shared/ingest"
)

// Render prints the snapshot for a person: one line per fact, and for a
// part that could not be read, why.
func Render(w io.Writer, s *Snapshot, settings ingest.Settings, dataDir string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(tw, "tributary status at %s UTC\n\n", s.At.Format(time.DateTime))

	if b := s.Backlog; b != nil {
		line("files", "%s waiting in input, %s claimed by a watcher (%s)", count(b.Input), count(b.Claimed), dataDir)
	} else {
		line("files", "unknown: %v", s.BacklogErr)
	}

	switch st := s.Stream; {
	case st == nil:
		line("stream", "unknown: %v", s.StreamErr)
	case st.Msgs == 0:
		line("stream", "%s: no message waiting, last sequence %d", settings.Stream, st.LastSeq)
	default:
		line("stream", "%s: %s messages waiting (%s), sequences %d to %d", settings.Stream, count(st.Msgs), size(st.Bytes), st.FirstSeq, st.LastSeq)
	}
	if c := s.Consumer; c != nil {
		lag := c.NumPending + uint64(c.NumAckPending)
		line("consumer", "%s: lag %s messages (%s not yet delivered, %s being loaded, %s redelivered), ack floor %d",
			settings.Consumer, count(lag), count(c.NumPending), count(c.NumAckPending), count(c.NumRedelivered), c.AckFloor.Stream)
		if d, ok := s.Tables.LagTime(lag); lag > 0 && ok {
			line("", "≈ %s to clear at the current rate (%s messages committed in the last minute)", roughly(d), count(s.Tables.MessagesLastMinute))
		} else if lag > 0 && s.Tables != nil {
			line("", "not shrinking: no message committed in the last minute")
		}
		if c.AckFloor.Last != nil {
			line("", "last acknowledgement %s", ago(*c.AckFloor.Last, s.At))
		}
	} else {
		line("consumer", "unknown: %v", s.ConsumerErr)
	}
	for _, c := range s.Contracts {
		contract := strings.TrimPrefix(c.Name, settings.Consumer+"-")
		line("contract "+contract, "%s: lag %s messages (%s not yet delivered, %s being loaded), ack floor %d",
			c.Name, count(c.NumPending+uint64(c.NumAckPending)), count(c.NumPending), count(c.NumAckPending), c.AckFloor.Stream)
	}
	if d := s.DeadLetters; d != nil {
		line("dead letters", "%s in %s", count(d.Msgs), settings.DeadLetterStream())
	} else {
		line("dead letters", "unknown: %v", s.DeadErr)
	}

	if t := s.Tables; t != nil {
		line("rows loaded", "%s in the last minute (exact, from the ledger), %s in total", count(t.RowsLastMinute), rows(t.Rows))
		line("rejects", "rows %s, files %s (every contract's)", rows(t.RejectedRows), rows(t.RejectedFiles))
		if !t.Rows.Exact || !t.RejectedRows.Exact || !t.RejectedFiles.Exact {
			line("", "≈: estimated from PostgreSQL's statistics (tables over %s rows are not counted)", count(t.ExactUpTo))
		}
		last := "never"
		if t.LastCommit != nil {
			last = ago(*t.LastCommit, s.At)
		}
		line("last commit", "%s", last)
	} else {
		line("database", "unknown: %v", s.TablesErr)
	}
	if s.Server != nil {
		s.Server.render(line, s.At)
	} else if s.Tables != nil {
		line("server", "unknown: %v", s.ServerErr)
	}

	for i, r := range s.Services {
		label := ""
		if i == 0 {
			label = "services"
		}
		switch {
		case r.Err != nil:
			line(label, "%-9s %-21s %v", r.Name, r.Addr, r.Err)
		case r.Ready:
			line(label, "%-9s %-21s ready", r.Name, r.Addr)
		default:
			line(label, "%-9s %-21s NOT READY: %s", r.Name, r.Addr, strings.Join(r.Failing(), "; "))
		}
	}
	return tw.Flush()
}

// count prints a count with thousands separators.
func count[T int | int64 | uint64](n T) string {
	if n < 0 {
		return strconv.FormatInt(int64(n), 10)
	}
	s := strconv.FormatUint(uint64(n), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rows prints a table's size, "≈" marking an estimate.
func rows(c Count) string {
	if c.Exact {
		return count(c.N) + " (exact)"
	}
	return "≈ " + count(c.N)
}

// roughly prints a duration to the second: an estimate needs no more.
func roughly(d time.Duration) string {
	if d < time.Second {
		return "under 1 s"
	}
	switch d = d.Round(time.Second); {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

func size(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func ago(t, now time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%s UTC (%s ago)", t.UTC().Format(time.DateTime), d)
}
