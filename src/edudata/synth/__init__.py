"""Synthetic university: realistic, valid, vectorised test and demo data."""
