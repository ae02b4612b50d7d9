// Package reconcile checks that every file the watcher archived (published
// and acknowledged by the stream) was loaded: it hashes each archived file
// into its content id and asks the ledger whether every part of that id is
// committed. A file that is not is explained: still waiting in the stream,
// dead-lettered (with the reason), recorded as rejected, or nowhere at all,
// which means it was lost. It also checks that every rejected file is
// recorded in rejected_files, and lists the dead letters.
//
// It only reads: a read-only database session, stream lookups that consume
// nothing, and the data directory. It is safe to run at any time.
package reconcile

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/tributary-dev/tributary/shared/datadir"
	"github.com/tributary-dev/tributary/shared/ingest"
	"github.com/tributary-dev/tributary/shared/ledger"
)

// Held is a message a stream holds: its sequence and headers.
type Held struct {
	Seq     uint64
	Subject string
	Header  nats.Header
}

// Streams reads the messages of a stream without consuming them. A stream
// that does not exist holds nothing.
type Streams interface {
	Held(ctx context.Context, stream string) ([]Held, error)
}

// Sources are what is compared.
type Sources struct {
	Dirs     datadir.Config
	DB       ledger.Querier
	Streams  Streams
	Settings ingest.Settings
	// Contracts names the declared contracts, whose files the ledger keys
	// by contract (see ledger.Files).
	Contracts []string
}

// File states of an archived file that is not loaded.
const (
	Pending      = "pending"       // its missing parts wait in the stream: a loader will take them
	DeadLettered = "dead-lettered" // a part is in the dead-letter stream: needs a person
	Missing      = "missing"       // a part is nowhere: published, acknowledged, never loaded
)

// File is an archived file that is not completely loaded.
type File struct {
	Name      string
	FileID    string
	Parts     int     // 0 when no part was ever seen
	Committed []int32 // parts in the ledger
	Waiting   []int   // parts held in the stream
	Dead      []int   // parts in the dead-letter stream
	State     string
	Detail    string
}

// Rejected is a file in rejected/.
type Rejected struct {
	Name     string
	Reason   string // from NAME.reason, or from rejected_files
	Recorded bool   // rejected_files has it
	Pending  bool   // its notice still waits in the stream
}

// DeadLetter is a message of the dead-letter stream.
type DeadLetter struct {
	Seq        uint64 // in the dead-letter stream
	StreamSeq  string // in the ingest stream it came from
	FileName   string
	FileID     string
	Part       string
	Deliveries string
	Reason     string
}

// Report is the outcome of a reconciliation.
type Report struct {
	Archived    int   // files in archive/
	Contents    int   // distinct contents among them
	Loaded      int   // archived files whose every part is committed
	LoadedRows  int64 // rows loaded from their distinct contents
	NotLoaded   []File
	Rejected    []Rejected
	DeadLetters []DeadLetter
	Input       int // landed, not yet claimed
	Claimed     int // being published
}

// Problems counts what needs a person: archived files dead-lettered or
// missing, rejected files recorded nowhere, and dead letters.
func (r *Report) Problems() int {
	n := len(r.DeadLetters)
	for _, f := range r.NotLoaded {
		if f.State == Missing {
			n++
		}
	}
	for _, rj := range r.Rejected {
		if !rj.Recorded && !rj.Pending {
			n++
		}
	}
	return n
}

// Run reconciles.
func Run(ctx context.Context, src Sources) (*Report, error) {
	r := &Report{}
	archived, err := hashArchive(src.Dirs.Path(datadir.Archive))
	if err != nil {
		return nil, err
	}
	r.Archived = len(archived)
	progress, err := ledgerProgress(ctx, src.DB, archived, src.Contracts)
	if err != nil {
		return nil, err
	}
	dead, err := src.Streams.Held(ctx, src.Settings.DeadLetterStream())
	if err != nil {
		return nil, fmt.Errorf("read dead-letter stream: %w", err)
	}
	for _, m := range dead {
		r.DeadLetters = append(r.DeadLetters, deadLetter(m))
	}
	if r.Rejected, err = listRejected(ctx, src); err != nil {
		return nil, err
	}
	// The ingest stream may hold a large backlog: read it only to explain.
	var waiting []Held
	needStream := slices.ContainsFunc(r.Rejected, func(rj Rejected) bool { return !rj.Recorded })
	for _, f := range archived {
		if !progress[f.FileID].Loaded() {
			needStream = true
		}
	}
	if needStream {
		if waiting, err = src.Streams.Held(ctx, src.Settings.Stream); err != nil {
			return nil, fmt.Errorf("read stream %s: %w", src.Settings.Stream, err)
		}
		markPendingRejections(r.Rejected, waiting)
	}
	contents := map[string]bool{}
	for _, f := range archived {
		p := progress[f.FileID]
		if p.Loaded() {
			r.Loaded++
			if !contents[f.FileID] {
				r.LoadedRows += p.Rows // a content landed twice loaded once
			}
			contents[f.FileID] = true
			continue
		}
		contents[f.FileID] = true
		r.NotLoaded = append(r.NotLoaded, explain(f, p, waiting, dead))
	}
	r.Contents = len(contents)
	r.Input = countFiles(src.Dirs.Path(datadir.Input))
	if b, err := src.Dirs.CountBacklog(); err == nil {
		r.Claimed = b.Claimed // claim slots included
	}
	return r, nil
}

// archivedFile is a file of archive/ and its content id.
type archivedFile struct{ Name, FileID string }

func hashArchive(dir string) ([]archivedFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list archive: %w", err)
	}
	var out []archivedFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read archived file: %w", err)
		}
		id, err := ledger.FileID(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read archived file %q: %w", e.Name(), err)
		}
		out = append(out, archivedFile{Name: e.Name(), FileID: id})
	}
	return out, nil
}

func ledgerProgress(ctx context.Context, db ledger.Querier, files []archivedFile, contracts []string) (map[string]ledger.Progress, error) {
	out := map[string]ledger.Progress{}
	const batch = 1000
	for i := 0; i < len(files); i += batch {
		ids := make([]string, 0, batch)
		for _, f := range files[i:min(i+batch, len(files))] {
			ids = append(ids, f.FileID)
		}
		p, err := ledger.Files(ctx, db, ids, contracts...)
		if err != nil {
			return nil, err
		}
		for id, v := range p {
			out[id] = v
		}
	}
	return out, nil
}

// explain says where the parts of a file that is not loaded are.
func explain(f archivedFile, p ledger.Progress, waiting, dead []Held) File {
	out := File{Name: f.Name, FileID: f.FileID, Parts: p.Parts, Committed: p.Committed, State: Pending}
	where := map[int]bool{}
	for _, c := range p.Committed {
		where[int(c)] = true
	}
	reasons := []string{}
	have, size := p.Covered, p.Size // byte ranges loaded, waiting or dead
	scan := func(held []Held, into *[]int, isDead bool) {
		for _, m := range held {
			if m.Header.Get(ingest.HeaderFileID) != f.FileID {
				continue
			}
			part, err := ingest.ParsePart(m.Header)
			if err != nil {
				continue // a rejection notice of the same content
			}
			out.Parts = max(out.Parts, part.Count)
			if part.To > 0 {
				have, size = have.Plus(ledger.Range{Lo: part.From, Hi: part.To}), part.Size
			}
			*into = append(*into, part.Index)
			where[part.Index] = true
			if isDead {
				reasons = append(reasons, fmt.Sprintf("part %d: %s", part.Index, ingest.DecodeName(m.Header.Get(ingest.HeaderDeadReason))))
			}
		}
	}
	scan(waiting, &out.Waiting, false)
	scan(dead, &out.Dead, true)
	var missing []string
	for i := 1; i <= out.Parts; i++ {
		if !where[i] {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	var holes []string
	if size > 0 { // parts named by byte ranges: splits may differ, so look at bytes, not indexes
		for _, h := range have.Minus(ledger.Range{Lo: 0, Hi: size}) {
			holes = append(holes, fmt.Sprintf("%d-%d", h.Lo, h.Hi))
		}
		missing = nil
	}
	switch {
	case len(holes) > 0:
		out.State, out.Detail = Missing, "bytes "+strings.Join(holes, ",")+" of "+strconv.FormatInt(size, 10)+" in no loaded, waiting or dead-lettered part: published but never loaded"
	case out.Parts == 0 && size == 0:
		out.State, out.Detail = Missing, "no part in the ledger, the stream or the dead-letter stream: published but never loaded"
	case len(missing) > 0:
		out.State, out.Detail = Missing, "part(s) "+strings.Join(missing, ",")+" of "+strconv.Itoa(out.Parts)+" nowhere: published but never loaded"
	case len(out.Dead) > 0:
		out.State, out.Detail = DeadLettered, strings.Join(reasons, "; ")
	default:
		out.Detail = fmt.Sprintf("%d part(s) waiting in the stream for a loader", len(out.Waiting))
	}
	return out
}

func deadLetter(m Held) DeadLetter {
	h := m.Header
	return DeadLetter{
		Seq: m.Seq, StreamSeq: h.Get(ingest.HeaderDeadStreamSeq), FileName: ingest.DecodeName(h.Get(ingest.HeaderFileName)),
		FileID: h.Get(ingest.HeaderFileID), Part: h.Get(ingest.HeaderPart), Deliveries: h.Get(ingest.HeaderDeadDeliveries),
		Reason: ingest.DecodeName(h.Get(ingest.HeaderDeadReason)),
	}
}

func countFiles(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if e.Type()&fs.ModeDir == 0 {
			n++
		}
	}
	return n
}
