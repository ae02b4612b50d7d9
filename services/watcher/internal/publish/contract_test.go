package publish_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/tributary-dev/tributary/services/watcher/internal/contracttest"
	"github.com/tributary-dev/tributary/services/watcher/internal/publish"
	"github.com/tributary-dev/tributary/services/watcher/internal/split"
	"github.com/tributary-dev/tributary/shared/contracts"
	"github.com/tributary-dev/tributary/shared/ingest"
)

// lastMsg returns the stream's newest message.
func lastMsg(t *testing.T, js jetstream.JetStream) *jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, "INGEST")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := stream.GetMsg(ctx, info.State.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t *testing.T, m *jetstream.RawStreamMsg) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range m.Header {
		if len(v) != 1 {
			t.Errorf("header %s has %d values", k, len(v))
		}
		out[k] = v[0]
	}
	return out
}

// A file of the default contract is published exactly as before contracts:
// same subject, same Nats-Msg-Id, same headers and nothing more. Loaders
// of the old version and messages already in the stream keep working.
func TestDefaultContractMessagesAreUnchanged(t *testing.T) {
	p, js, _ := setup(t, settings())
	ctx := context.Background()
	ua := contracttest.UserActivity()
	l, err := split.Inspect(strings.NewReader(csvFile), int64(len(csvFile)), 1<<20, ua)
	if err != nil {
		t.Fatal(err)
	}
	f := publish.File{Name: "f 1.csv", Contract: ua.Name, LandedAt: time.Unix(1, 5).UTC(), Content: strings.NewReader(csvFile), Layout: l}
	if err := p.PublishFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(csvFile))
	id, size, body := hex.EncodeToString(sum[:]), strconv.Itoa(len(csvFile)), strconv.Itoa(strings.Index(csvFile, "\n")+1)
	m := lastMsg(t, js)
	want := map[string]string{
		"Nats-Msg-Id":           id + ".0-" + size,
		"Nats-Expected-Stream":  "INGEST",
		"Tributary-File-Id":     id,
		"Tributary-File-Name":   "f%201.csv",
		"Tributary-Part":        "1/1",
		"Tributary-First-Line":  "2",
		"Tributary-Rows":        "3",
		"Tributary-File-Size":   size,
		"Tributary-Landed-At":   "1970-01-01T00:00:01.000000005Z",
		"Tributary-Range":       "0-" + size,
		"Tributary-Body-Offset": body,
	}
	if got := headerOf(t, m); m.Subject != "ingest.data" || !maps.Equal(got, want) {
		t.Errorf("published on %s with headers\n%v\nwant ingest.data with\n%v", m.Subject, got, want)
	}

	rej := ingest.Rejection{FileName: "r.csv", Reason: "file is empty (0 bytes)", LandedAt: time.Unix(2, 0).UTC(), Entry: "i1.s0.m2"}
	for _, contract := range []string{ua.Name, ""} { // "": a file no contract claims
		if err := p.PublishRejection(ctx, contract, rej); err != nil {
			t.Fatal(err)
		}
		m = lastMsg(t, js)
		want := map[string]string{
			"Nats-Msg-Id": "rejected.r.csv@i1.s0.m2", "Nats-Expected-Stream": "INGEST", "Tributary-File-Id": "",
			"Tributary-File-Name": "r.csv", "Tributary-Reason": "file%20is%20empty%20%280%20bytes%29", "Tributary-File-Size": "0",
			"Tributary-Landed-At": "1970-01-01T00:00:02Z", "Tributary-Entry": "i1.s0.m2",
		}
		if got := headerOf(t, m); m.Subject != "ingest.rejected" || !maps.Equal(got, want) {
			t.Errorf("contract %q: notice on %s with headers\n%v\nwant ingest.rejected with\n%v", contract, m.Subject, got, want)
		}
	}
}

// A file of another contract goes to that contract's subject, named in its
// headers, with its by_name header line; so does its rejection notice.
func TestOtherContractsPublishToTheirSubjects(t *testing.T) {
	p, js, _ := setup(t, settings())
	ctx := context.Background()
	orders, err := contracts.Parse("orders", []byte("table: orders\nfiles: \"orders-*.csv\"\nheader: by_name\n"))
	if err != nil {
		t.Fatal(err)
	}
	content := "sku,qty\nx,1\ny,2\n"
	l, err := split.Inspect(strings.NewReader(content), int64(len(content)), 1<<20, orders)
	if err != nil {
		t.Fatal(err)
	}
	f := publish.File{Name: "orders-1.csv", Contract: orders.Name, Content: strings.NewReader(content), Layout: l}
	if err := p.PublishFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	m := lastMsg(t, js)
	part, err := ingest.ParsePart(m.Header)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "ingest.data.orders" || part.Contract != "orders" || part.Columns != "sku,qty" || part.Rows != 2 ||
		m.Header.Get(nats.MsgIdHdr) != "orders:"+l.FileID+".0-"+strconv.Itoa(len(content)) {
		t.Errorf("published on %s as %+v, id %s", m.Subject, part, m.Header.Get(nats.MsgIdHdr))
	}
	if err := p.PublishRejection(ctx, orders.Name, ingest.Rejection{FileName: "orders-2.csv", Reason: "r", Entry: "e"}); err != nil {
		t.Fatal(err)
	}
	if m := lastMsg(t, js); m.Subject != "ingest.rejected.orders" || !slices.Contains(m.Header.Values(ingest.HeaderFileName), "orders-2.csv") {
		t.Errorf("notice on %s with %v, want ingest.rejected.orders", m.Subject, m.Header)
	}
}
