package contracts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	_ "time/tzdata" // time_zone must resolve the same on every machine

	"go.yaml.in/yaml/v3"
)

// Set is the contracts declared in one directory.
type Set struct {
	// Declared are the valid declarations, by name.
	Declared []*Declaration
	// Refused are the declarations that could not be read, by name, with
	// why: each is refused alone, the others load.
	Refused map[string]error
	// Digest is a hash of every declaration file, to tell when they changed.
	Digest string
}

// Load reads every *.yaml file of dir. Only a directory that cannot be read
// is an error; a bad declaration is refused in the Set.
func Load(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read contracts: %w", err)
	}
	s := &Set{Refused: map[string]error{}}
	digest := sha256.New()
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok || e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read contracts: %w", err)
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", e.Name(), len(raw))
		digest.Write(raw)
		d, err := Parse(name, raw)
		if err != nil {
			s.Refused[name] = err
			continue
		}
		s.Declared = append(s.Declared, d)
	}
	s.Digest = hex.EncodeToString(digest.Sum(nil))[:16]
	return s, nil
}

// Parse reads one declaration named name.
func Parse(name string, raw []byte) (*Declaration, error) {
	d := &Declaration{Name: name}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true) // a misspelt setting is an error, not a silent default
	if err := dec.Decode(d); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("contract %s: %w", name, err)
	}
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("contract %s: %w", name, err)
	}
	return d, nil
}

// Get returns the declaration named name.
func (s *Set) Get(name string) (*Declaration, bool) {
	i := slices.IndexFunc(s.Declared, func(d *Declaration) bool { return d.Name == name })
	if i < 0 {
		return nil, false
	}
	return s.Declared[i], true
}

// compressions are the suffixes a compressed file's name adds to the
// name its contract's pattern expects: orders-*.csv takes orders-1.csv.gz.
var compressions = []string{".gz", ".gzip", ".zst", ".zstd"}

// Match returns the contract a landed file named name loads under: the one
// whose files pattern matches with the most literal characters. A name
// ending in a compression's suffix matches as itself or as the name
// without it. The error, for a person, says why there is none.
func (s *Set) Match(name string) (*Declaration, error) {
	var (
		best    *Declaration
		tie     *Declaration
		bestLen = -1
	)
	bare := name
	for _, suffix := range compressions {
		if len(name) > len(suffix) && strings.EqualFold(name[len(name)-len(suffix):], suffix) {
			bare = name[:len(name)-len(suffix)]
			break
		}
	}
	for _, d := range s.Declared {
		ok, _ := path.Match(d.Files, name)
		if !ok {
			ok, _ = path.Match(d.Files, bare)
		}
		if !ok {
			continue
		}
		switch n := literalLength(d.Files); {
		case n > bestLen:
			best, tie, bestLen = d, nil, n
		case n == bestLen:
			tie = d
		}
	}
	switch {
	case best == nil:
		return nil, fmt.Errorf("the name matches no contract's files pattern (%s)", s.patterns())
	case tie != nil:
		return nil, fmt.Errorf("the name matches contracts %s (%q) and %s (%q) equally; make one pattern more specific",
			best.Name, best.Files, tie.Name, tie.Files)
	}
	return best, nil
}

func (s *Set) patterns() string {
	if len(s.Declared) == 0 {
		return "no contract is declared"
	}
	var out []string
	for _, d := range s.Declared {
		out = append(out, d.Name+": "+fmt.Sprintf("%q", d.Files))
	}
	return strings.Join(out, ", ")
}

// literalLength counts the characters of a glob that are not wildcards.
func literalLength(glob string) int {
	n := 0
	for i := 0; i < len(glob); i++ {
		switch glob[i] {
		case '*', '?':
		case '[':
			if j := strings.IndexByte(glob[i:], ']'); j > 0 {
				i += j
			}
		case '\\':
			i++
			n++
		default:
			n++
		}
	}
	return n
}
