package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestPartRoundTrip(t *testing.T) {
	give := Part{
		FileID:    strings.Repeat("ab", 32),
		FileName:  "odd name\n*>..\xff.csv",
		Index:     2,
		Count:     3,
		FirstLine: 1001,
		Rows:      998,
		Size:      123456,
		LandedAt:  time.Date(2026, 11, 26, 4, 15, 0, 123456789, time.UTC),
		From:      70000,
		To:        100000,
		Offset:    70002,
		Encoding:  "gzip",
		Format:    FormatNDJSON,
	}
	h := give.Header()
	for key, values := range h {
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("header %s carries a line break: %q", key, v)
			}
		}
	}
	got, err := ParsePart(h)
	if err != nil {
		t.Fatalf("ParsePart: %v", err)
	}
	want := give
	want.FileName = "odd name\n*>..\uFFFD.csv"
	if got != want {
		t.Errorf("round trip = %+v, want %+v", got, want)
	}
	if h.Get(nats.MsgIdHdr) != give.FileID+".70000-100000" {
		t.Errorf("msg id = %q, want the file id and the byte range", h.Get(nats.MsgIdHdr))
	}
}

// A part published before parts carried byte ranges keeps its id, so
// an upgrade with messages in flight recognises them.
func TestPartWithoutRangeKeepsItsIndexID(t *testing.T) {
	give := Part{FileID: strings.Repeat("ab", 32), FileName: "old.csv", Index: 2, Count: 3, FirstLine: 9, Rows: 4, Size: 900,
		LandedAt: time.Unix(5, 0).UTC()}
	got, err := ParsePart(give.Header())
	if err != nil || got != give {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, give)
	}
	if id := got.MsgID(); id != give.FileID+".2" {
		t.Errorf("msg id = %q, want FILEID.2", id)
	}
}

func TestParsePartRefusesABadRange(t *testing.T) {
	base := Part{FileID: strings.Repeat("ab", 32), FileName: "f.csv", Index: 1, Count: 1, FirstLine: 2, Rows: 1, Size: 100,
		LandedAt: time.Unix(5, 0).UTC(), From: 0, To: 100, Offset: 40}
	for _, tt := range []struct{ rng, off string }{
		{"10-5", "7"}, {"0-101", "40"}, {"0-100", "101"}, {"20-100", "10"}, {"x-100", "40"}, {"0-100", ""}, {"", "40"},
	} {
		h := base.Header()
		h.Set(HeaderRange, tt.rng)
		h.Set(HeaderOffset, tt.off)
		if _, err := ParsePart(h); err == nil || !strings.Contains(err.Error(), HeaderRange) {
			t.Errorf("range %q offset %q: ParsePart = %v, want an error naming %s", tt.rng, tt.off, err, HeaderRange)
		}
	}
}

func TestParsePartNamesEveryBadHeader(t *testing.T) {
	h := nats.Header{}
	h.Set(HeaderFileID, "not-a-hash")
	h.Set(HeaderPart, "3/2")
	_, err := ParsePart(h)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{HeaderFileID, HeaderPart, HeaderFirstLine, HeaderRows, HeaderLandedAt} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestRejectionRoundTrip(t *testing.T) {
	for _, give := range []Rejection{
		{FileName: "link.csv", Reason: "is a symbolic link; only regular files are read", LandedAt: time.Unix(5, 0).UTC()},
		{FileName: "fifo.csv", Reason: "is a named pipe (FIFO); only regular files are read", LandedAt: time.Unix(5, 0).UTC(), Entry: "i42.s0.m17"},
	} {
		got := ParseRejection(give.Header())
		if got != give || got.MsgID() != give.MsgID() {
			t.Errorf("round trip = %+v, want %+v", got, give)
		}
	}
}

// A notice for unread content is identified by its name and entry: not by
// its landing time, which the claim rename and an adoption change.
func TestRejectionIDs(t *testing.T) {
	tests := []struct {
		give Rejection
		want string
	}{
		{Rejection{FileID: strings.Repeat("ab", 32), FileName: "x.csv", Entry: "i1.s2.m3"}, "rejected." + strings.Repeat("ab", 32)},
		{Rejection{FileName: "a b.csv", Entry: "i1.s2.m3", LandedAt: time.Unix(5, 0)}, "rejected.a%20b.csv@i1.s2.m3"},
		{Rejection{FileName: "a.csv", LandedAt: time.Unix(5, 0)}, "rejected.a.csv@5000000000"},
	}
	for _, tt := range tests {
		if got := tt.give.MsgID(); got != tt.want {
			t.Errorf("MsgID(%+v) = %q, want %q", tt.give, got, tt.want)
		}
	}
	moved := tests[1].give
	moved.LandedAt = time.Unix(99, 0)
	if moved.MsgID() != tests[1].give.MsgID() {
		t.Error("the id of a notice with an entry depends on its landing time")
	}
}

func TestSettingsValidate(t *testing.T) {
	s := Settings{Stream: "S", SubjectPrefix: "p", Consumer: "c", MaxBytes: 1, Replicas: 1, MaxDeliver: 5, AckWait: time.Second, DuplicateWindow: time.Minute}
	if err := s.Validate(); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	s.MaxBytes, s.MaxDeliver = 0, 1
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "STREAM_MAX_BYTES") || !strings.Contains(err.Error(), "CONSUMER_MAX_DELIVER") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestOversizedRowPart(t *testing.T) {
	give := Part{FileID: strings.Repeat("cd", 32), FileName: "big.csv", Index: 2, Count: 3, FirstLine: 7, Rows: 1,
		Size: 9000, LandedAt: time.Unix(9, 0).UTC(), OversizedRow: 5043}
	got, err := ParsePart(give.Header())
	if err != nil || got != give {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, give)
	}
	give.OversizedRow = 0
	if h := give.Header(); h.Get(HeaderOversized) != "" {
		t.Errorf("a part of rows carries %s", HeaderOversized)
	}
	bad := give.Header()
	bad.Set(HeaderOversized, "-1")
	if _, err := ParsePart(bad); err == nil || !strings.Contains(err.Error(), HeaderOversized) {
		t.Errorf("ParsePart accepted %s -1: %v", HeaderOversized, err)
	}
}

func TestContractTopology(t *testing.T) {
	s := Settings{Stream: "INGEST", SubjectPrefix: "ingest", Consumer: "loader", DefaultContract: "user_activity"}
	if got := s.ContractTopology("user_activity"); got != (Contract{Name: "user_activity", DataSubject: "ingest.data", RejectedSubject: "ingest.rejected", Consumer: "loader"}) {
		t.Errorf("default contract: %+v, want the names from before contracts", got)
	}
	if got := s.ContractTopology("orders"); got != (Contract{Name: "orders", DataSubject: "ingest.data.orders", RejectedSubject: "ingest.rejected.orders", Consumer: "loader-orders"}) {
		t.Errorf("orders: %+v", got)
	}
	cfg := s.ContractConsumerConfig(s.ContractTopology("orders"))
	if cfg.Durable != "loader-orders" || len(cfg.FilterSubjects) != 2 || cfg.FilterSubjects[0] != "ingest.data.orders" {
		t.Errorf("orders consumer: %+v", cfg)
	}
	for subject, want := range map[string]bool{
		"ingest.data": true, "ingest.rejected": true, "ingest.data.orders": true, "ingest.rejected.orders": true,
		"ingest.data.": false, "ingest.data.a.b": false, "ingest.other": false, "dlq.ingest": false, "ingest.data.*": false,
	} {
		if got := s.IsIngestSubject(subject); got != want {
			t.Errorf("IsIngestSubject(%q) = %v, want %v", subject, got, want)
		}
	}
	p := Part{FileID: strings.Repeat("a", 64), From: 0, To: 10, Contract: "orders"}
	if p.MsgID() != "orders:"+strings.Repeat("a", 64)+".0-10" || p.FileKey() != "orders:"+strings.Repeat("a", 64) {
		t.Errorf("orders part: id %s, key %s", p.MsgID(), p.FileKey())
	}
	p.Contract = ""
	if p.MsgID() != strings.Repeat("a", 64)+".0-10" {
		t.Errorf("default contract part id %s changed", p.MsgID())
	}
}
