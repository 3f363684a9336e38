"""Test support: a live server and factories for accounts and catalogue entries."""
