"""Writes python_csv_crlf.csv the way a Python producer would: the csv
module's defaults (CRLF line endings, minimal quoting), Decimal prices."""
import csv
from decimal import Decimal

rows = [
    ("py-1", "2026-11-26 10:00:00", "view", 101, Decimal("19.99"), 7, "sess-a"),
    ("py-2", "2026-11-26T10:00:01.250", "purchase", 101, Decimal("19.99"), 7, "sess-a"),
    ("py-3", "2026-11-26 10:00:02.000001", "view", 202, Decimal("0.50"), 8, "sess, with comma"),
    ("py-4", "2026-11-26 10:00:03", "purchase", 303, Decimal("1234.5"), 9, 'quoted "name"'),
]
with open("python_csv_crlf.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["event_id", "event_time", "event_type", "product_id", "price", "user_id", "session_id"])
    w.writerows(rows)
