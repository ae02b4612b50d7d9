package store

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tributary-dev/tributary/shared/schema"
)

// headers maps the headers of a contract's files to its table, once per
// distinct header: under an exact header there is one mapping, under
// by_name one per header producers write.
type headers struct {
	table *schema.Table
	mu    sync.Mutex
	known map[string]mapped // by header line
}

type mapped struct {
	m   *schema.Mapping
	err error
}

// maxHeaders bounds the cache: a producer writing random headers must not
// grow the loader without limit.
const maxHeaders = 1024

func newHeaders(t *schema.Table) *headers {
	return &headers{table: t, known: map[string]mapped{}}
}

// mapping returns how a part with header line columns ("" under an exact
// header) loads, or why it cannot.
func (h *headers) mapping(columns string) (*schema.Mapping, error) {
	if columns == "" {
		if m := h.table.Exact(); m != nil {
			return m, nil
		}
		return nil, fmt.Errorf("the part carries no header, and contract %s maps columns by name", h.table.Contract)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if k, ok := h.known[columns]; ok {
		return k.m, k.err
	}
	var k mapped
	fields, err := csv.NewReader(strings.NewReader(columns)).Read()
	if err != nil {
		k.err = fmt.Errorf("the header is not valid CSV: %v", err)
	} else {
		k.m, k.err = h.table.Map(fields)
	}
	if len(h.known) >= maxHeaders {
		clear(h.known)
	}
	h.known[columns] = k
	return k.m, k.err
}

// group sorts the parts among msgs by how they load: one COPY takes one
// column list, so each group is COPYed on its own (a by_name contract whose
// producers write different headers). A part whose header does not fit the
// table is a misfit: its file is rejected, with the reason, by message.
func (h *headers) group(msgs []Message) ([][]*schema.Mapping, map[int]string) {
	var (
		groups  [][]*schema.Mapping
		keys    []string
		misfits = map[int]string{}
	)
	for i, m := range msgs {
		if m.Part == nil {
			continue
		}
		mp, err := h.mapping(m.Part.Columns)
		if err != nil {
			misfits[i] = fmt.Sprintf("the header (line 1) does not fit table %s: %v", h.table.QualifiedName(), err)
			continue
		}
		key := strings.Join(mp.Copy, "\x00")
		g := slices.Index(keys, key)
		if g < 0 {
			g, keys = len(groups), append(keys, key)
			groups = append(groups, make([]*schema.Mapping, len(msgs)))
		}
		groups[g][i] = mp
	}
	return groups, misfits
}
