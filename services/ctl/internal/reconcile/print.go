package reconcile

import (
	"fmt"
	"io"
	"strconv"

	"github.com/tributary-dev/tributary/shared/logging"
)

// Print writes the report for a person. File names are escaped: they are
// untrusted and may hold control characters.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "archive:   %d files (%d distinct contents); %d loaded (%d rows), %d not loaded\n",
		r.Archived, r.Contents, r.Loaded, r.LoadedRows, len(r.NotLoaded))
	fmt.Fprintf(w, "waiting:   %d in input, %d claimed by a watcher\n", r.Input, r.Claimed)
	recorded := 0
	for _, rj := range r.Rejected {
		if rj.Recorded {
			recorded++
		}
	}
	fmt.Fprintf(w, "rejected:  %d files, %d recorded in rejected_files\n", len(r.Rejected), recorded)
	fmt.Fprintf(w, "dead:      %d dead letters\n", len(r.DeadLetters))
	if len(r.NotLoaded) > 0 {
		fmt.Fprintf(w, "\narchived but not loaded:\n")
		for _, f := range r.NotLoaded {
			fmt.Fprintf(w, "  %-13s %s  file_id=%s  parts committed %d/%s: %s\n", f.State, logging.SafeName(f.Name), f.FileID,
				len(f.Committed), partsText(f.Parts), f.Detail)
		}
	}
	var unrecorded []Rejected
	for _, rj := range r.Rejected {
		if !rj.Recorded {
			unrecorded = append(unrecorded, rj)
		}
	}
	if len(unrecorded) > 0 {
		fmt.Fprintf(w, "\nrejected but not in rejected_files:\n")
		for _, rj := range unrecorded {
			state := "missing"
			if rj.Pending {
				state = "pending"
			}
			fmt.Fprintf(w, "  %-13s %s: %s\n", state, logging.SafeName(rj.Name), rj.Reason)
		}
	}
	if len(r.DeadLetters) > 0 {
		fmt.Fprintf(w, "\ndead letters:\n")
		for _, d := range r.DeadLetters {
			fmt.Fprintf(w, "  seq %d (stream seq %s) %s part %s after %s deliveries: %s\n", d.Seq, d.StreamSeq,
				logging.SafeName(d.FileName), d.Part, d.Deliveries, d.Reason)
		}
	}
	if n := r.Problems(); n > 0 {
		fmt.Fprintf(w, "\n%d problem(s) need attention\n", n)
	} else {
		fmt.Fprintf(w, "\nno problems: every archived file is loaded or waiting for a loader\n")
	}
}

func partsText(n int) string {
	if n == 0 {
		return "?"
	}
	return strconv.Itoa(n)
}
