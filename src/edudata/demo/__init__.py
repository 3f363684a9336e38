"""The demo university: one command builds it on the embedded SQLite file and serves it."""
