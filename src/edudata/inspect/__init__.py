"""Inspection and accountability (检查与监督、责任追究, Art. 61-64, 67): checks as code, runs, findings, reports."""
