"""Writes the bad-input corpus: every file here is a case in manifest.json,
which states by hand what the pipeline must do with it. Run from this
directory: python3 make_corpus.py. The files are committed; this script
only documents (and can reproduce) their exact bytes, several of which an
editor would silently change (BOMs, CRLF, NUL, invalid UTF-8)."""

HEADER = b"event_id,event_time,event_type,product_id,price,user_id,session_id"
T = b"2026-11-26 10:00:00"


def row(eid, time=T, typ=b"view", pid=b"1", price=b"1.00", uid=b"1", sess=b"s"):
    return b",".join([eid, time, typ, pid, price, uid, sess])


def write(name, *lines, eol=b"\n", bom=False, final=True):
    data = eol.join(lines) + (eol if final else b"")
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(name, "wb") as f:
        f.write(data)


# --- rows that break the contract; the other rows of the file load -------

write("field-count.csv", HEADER,
      row(b"fc-ok-1"),
      b"fc-short,2026-11-26 10:00:00,view,1,1.00,1",
      row(b"fc-long") + b",extra",
      row(b"fc-trailing-comma") + b",",
      b"   ",
      b"fc-one-field",
      row(b"fc-ok-2"))

write("empty-required.csv", HEADER,
      row(b""),
      row(b"er-time", time=b""),
      row(b"er-type", typ=b""),
      row(b"er-product", pid=b""),
      row(b"er-price", price=b""),
      row(b"er-user", uid=b""),
      b",,,,,,",
      row(b"er-null-session", sess=b""),
      row(b"er-quoted-null-session", sess=b'""'))

write("integers.csv", HEADER,
      row(b"int-abc", pid=b"abc"),
      row(b"int-float", pid=b"1.5"),
      row(b"int-over", pid=b"2147483648"),
      row(b"int-under", uid=b"-2147483649"),
      row(b"int-huge", pid=b"99999999999999999999999999"),
      row(b"int-exp", uid=b"1e3"),
      row(b"int-hex", uid=b"0x1F"),
      row(b"int-arabic", uid="\u0663".encode()),
      row(b"int-underscore", pid=b"1_000"),
      row(b"int-max", pid=b"2147483647", uid=b"-2147483648"),
      row(b"int-leading-zeros", pid=b"007", uid=b"+5"))

write("prices.csv", HEADER,
      row(b"p-three-decimals", price=b"1.234"),
      row(b"p-trailing-zero", price=b"1.230"),
      row(b"p-too-big", price=b"123456789.00"),
      row(b"p-max", price=b"99999999.99"),
      row(b"p-just-over", price=b"100000000"),
      row(b"p-negative", price=b"-50.00"),
      row(b"p-negative-zero", price=b"-0.00"),
      row(b"p-exponent", price=b"1e3"),
      row(b"p-nan", price=b"NaN"),
      row(b"p-infinity", price=b"Infinity"),
      row(b"p-bare-point", price=b"12."),
      row(b"p-leading-point", price=b".5"),
      row(b"p-decimal-comma", price=b'"1,50"'),
      row(b"p-currency", price=b"$5.00"),
      row(b"p-padded-zeros", price=b"0000000000012.5"),
      row(b"p-long-fraction", price=b"1.5000000000000000000001"),
      row(b"p-400-digits", price=b"9" * 400),
      row(b"p-zero", price=b"0"))

write("times.csv", HEADER,
      row(b"t-feb-30", time=b"2026-02-30 10:00:00"),
      row(b"t-month-13", time=b"2026-13-01 00:00:00"),
      row(b"t-not-leap", time=b"2025-02-29 12:00:00"),
      row(b"t-leap-day", time=b"2024-02-29 12:00:00"),
      row(b"t-hour-24", time=b"2026-01-01 24:00:00"),
      row(b"t-leap-second", time=b"2026-12-31 23:59:60"),
      row(b"t-year-zero", time=b"0000-01-01 00:00:00"),
      row(b"t-date-only", time=b"2026-01-01"),
      row(b"t-iso", time=b"2026-01-01T10:00:00"),
      row(b"t-micros", time=b"2026-01-01 10:00:00.123456"),
      row(b"t-nanos", time=b"2026-01-01 10:00:00.1234567"),
      row(b"t-zulu", time=b"2026-01-01 10:00:00Z"),
      row(b"t-offset", time=b"2026-01-01 10:00:00+02:00"),
      row(b"t-two-digit-year", time=b"26-01-01 10:00:00"),
      row(b"t-epoch", time=b"1767225600"),
      row(b"t-slashes", time=b"2026/01/01 10:00:00"),
      row(b"t-last", time=b"9999-12-31 23:59:59.999999"),
      row(b"t-first", time=b"0001-01-01 00:00:00"))

write("event-types.csv", HEADER,
      row(b"et-unknown", typ=b"unknown_event"),
      row(b"et-upper", typ=b"VIEW"),
      row(b"et-title", typ=b"Purchase"),
      row(b"et-click", typ=b"click"),
      row(b"et-purchase", typ=b"purchase"),
      row(b"et-view", typ=b"view"))

write("id-lengths.csv", HEADER,
      row(b"i" * 50),
      row(b"j" * 51),
      row("\u00e9".encode() * 50),
      row("\u00e8".encode() * 51),
      row(b"id-session-50", sess=b"s" * 50),
      row(b"id-session-51", sess=b"s" * 51),
      row(b"k" * 1000),
      row("\U0001F600".encode() * 50))

write("invalid-utf8.csv", HEADER,
      row(b"u8-ok-1"),
      row(b"u8-\xff-id"),
      row(b"u8-session", sess=b"\xc3\x28"),
      row(b"u8-overlong", sess=b"\xc0\xaf"),
      row(b"u8-surrogate", sess=b"\xed\xa0\x80"),
      row(b"u8-type", typ=b"vi\xe9w"),
      row(b"u8-ok-2"))

write("nul-bytes.csv", HEADER,
      row(b"nul-ok-1"),
      row(b"nul\x00id"),
      row(b"nul-session", sess=b"a\x00b"),
      row(b"nul-product", pid=b"1\x002"),
      row(b"nul-whole", sess=b"\x00"),
      row(b"nul-ok-2"))

write("quoted-fields.csv", HEADER,
      row(b'"q,comma"'),
      row(b'"q-newline"', sess=b'"line one\nline two"'),
      row(b'"q-""quote"""', sess=b'"say ""hi"", then, bye"'),
      row(b'"q-quoted-numbers"', pid=b'"42"', price=b'"19.99"', uid=b'"7"'),
      row(b"q-after-multiline", typ=b"bogus"),
      row(b'"q-crlf-inside"', sess=b'"a\r\nb"'),
      row(b'"q-empty-quoted"', sess=b'""'))

write("bad-quotes.csv", HEADER,
      row(b"bq-ok-1"),
      row(b"bq-bare", typ=b'vi"ew'),
      row(b'"bq-after"x'),
      row(b"bq-ok-2"))

write("spaces.csv", HEADER,
      row(b"sp-trailing "),
      row(b" sp-leading"),
      row(b"sp-product", pid=b" 12"),
      row(b"sp-price-tab", price=b"1.00\t"),
      row(b"sp-session", sess=b"s "),
      row("sp-nbsp\u00a0".encode()),
      row(b"sp-quoted", sess=b'" padded "'),
      row(b"sp-inner space", sess=b"inner space"))

write("crlf.csv", HEADER,
      row(b"crlf-1"),
      row(b"crlf-2", typ=b"purchase", price=b"2.50"),
      eol=b"\r\n")

write("lf-no-final-newline.csv", HEADER,
      row(b"lf-1"),
      row(b"lf-2"),
      final=False)

write("bom-crlf.csv", HEADER, row(b"bom-crlf-1"), row(b"bom-crlf-2"), eol=b"\r\n", bom=True)

write("bom-lf.csv", HEADER, row(b"bom-lf-1"), row(b"bom-lf-2"), bom=True)

write("mixed-endings.csv",
      HEADER + b"\r\n" + row(b"mix-1") + b"\n" + b"\r\n" + b"\n" +
      row(b"mix-bad", price=b"-1.00") + b"\r\n" + row(b"mix-2"),
      final=False)

write("excel-export.csv",
      b'"event_id","event_time","event_type","product_id","price","user_id","session_id"',
      b'"xl-1","2026-11-26 10:00:00","view","1","1.00","1","s"',
      b'"xl-2","2026-11-26 10:00:01","purchase","2","3.50","1","s"',
      b"",
      eol=b"\r\n", bom=True)

write("null-literals.csv", HEADER,
      row(b"nl-null-word", sess=b"NULL"),
      row(b"nl-backslash-n", sess=b"\\N"),
      row(b"nl-price", price=b"NULL"),
      row(b"nl-backslash-tab", sess=b"a\\tb"))

write("many-fields.csv", HEADER,
      row(b"mf-ok"),
      b",".join([b"mf-wide"] + [b"x"] * 999))

write("all-rows-bad.csv", HEADER,
      row(b"arb-1", typ=b"nope"),
      row(b"arb-2", price=b"-1"))

# --- duplicates: the first copy loaded wins ------------------------------

write("dup-within-file.csv", HEADER,
      row(b"dwf-1"),
      row(b"dwf-2"),
      row(b"dwf-1", typ=b"purchase", price=b"9.99"),
      row(b"dwf-1", price=b"8.88"))

write("dup-across-first.csv", HEADER, row(b"daf-1"), row(b"daf-2"))

write("dup-across-second.csv", HEADER,
      row(b"daf-2", typ=b"purchase", price=b"5.00"),
      row(b"daf-3"))

# An event is its id and its time: daf-1 the next day is another event.
write("dup-other-time.csv", HEADER,
      row(b"daf-1", time=b"2026-11-27 10:00:00", price=b"7.00"),
      row(b"daf-2", time=b"2026-11-26T10:00:00.000000", price=b"6.00"))

with open("crlf.csv", "rb") as src, open("same-content-as-crlf.csv", "wb") as dst:
    dst.write(src.read())

# --- files that cannot be read as the contract at all --------------------

open("empty.csv", "wb").close()  # zero bytes

write("header-only.csv", HEADER)

write("header-only-bom-crlf.csv", HEADER, b"", b"", eol=b"\r\n", bom=True)

with open("blank-lines-only.csv", "wb") as f:
    f.write(b"\n\r\n\n")

with open("bom-only.csv", "wb") as f:
    f.write(b"\xef\xbb\xbf")

write("missing-header.csv", row(b"mh-1"), row(b"mh-2"))

write("reordered-header.csv",
      b"event_time,event_id,event_type,product_id,price,user_id,session_id", row(b"rh-1"))

write("extra-column-header.csv", HEADER + b",extra", row(b"ec-1") + b",x")

write("uppercase-header.csv", HEADER.upper(), row(b"uh-1"))

write("semicolons.csv", HEADER.replace(b",", b";"), row(b"sc-1").replace(b",", b";"))

write("unterminated-quote.csv", HEADER, row(b"uq-1"), b'"uq-2,2026-11-26 10:00:00,view,1,1.00,1,s', row(b"uq-3"))

with open("cr-only.csv", "wb") as f:
    f.write(HEADER + b"\r" + row(b"cr-1") + b"\r")

with open("binary.bin", "wb") as f:
    f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x48\xcd\xc9\xc9\x07\x00\x86\xa6\x10\x36\x05\x00\x00\x00")

with open("utf16.csv", "wb") as f:
    f.write((HEADER + b"\r\n" + row(b"u16-1") + b"\r\n").decode().encode("utf-16"))

write("json-lines.json",
      b'{"event_id": "j-1", "event_time": "2026-11-26 10:00:00", "event_type": "view"}')

# --- size limits (the corpus run sets WATCHER_MAX_MESSAGE_BYTES=4096 and
# WATCHER_MAX_FILE_BYTES=65536) --------------------------------------------

write("row-larger-than-a-message.csv", HEADER, row(b"big-ok"), row(b"big-row", sess=b"x" * 5000), row(b"big-ok-2"))

# A quote opened by mistake and closed a hundred lines later: one record of
# more than a message, rejected alone; the rows after it load.
lines = [HEADER, row(b"qf-1"), row(b"qf-open", sess=b'"oops')]
lines += [row(b"qf-swallowed-%03d" % i) for i in range(100)]
lines += [b'closed here"', row(b"qf-2")]
write("quote-closed-far-later.csv", *lines)

# One 10 KB line without a newline after the header.
write("giant-last-line.csv", HEADER, b"g" * 10000, final=False)

lines = [HEADER]
i = 0
while sum(len(l) + 1 for l in lines) <= 65536:
    lines.append(row(b"tl-%05d" % i))
    i += 1
write("over-size-limit.csv", *lines)

# About 14 KB: four messages of at most 4096 bytes. Bad rows, a multi-line
# quoted field and a repeated row are spread over the parts.
lines = [HEADER]
for i in range(1, 301):
    eid = b"mp-%03d" % i
    if i == 50:
        lines.append(row(eid, price=b"1.001"))
    elif i == 120:
        lines.append(row(eid, sess=b'"spans\ntwo lines"'))
    elif i == 121:
        lines.append(row(eid, time=b"2026-02-31 00:00:00"))
    elif i == 250:  # the same row as line 11, in another part
        lines.append(row(b"mp-010", pid=b"10", price=b"10.10"))
    elif i == 299:
        lines.append(b"mp-299,short")
    else:
        lines.append(row(eid, pid=b"%d" % i, price=b"%d.%02d" % (i, i % 100)))
write("multi-part.csv", *lines)
