"""Tamper-evident audit log (Art. 30, 59): hash-chained records, signed heads, retention, search."""
