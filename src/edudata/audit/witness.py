"""A witness (见证方) for the audit log: cosigns a checkpoint only if it extends the last one it cosigned.

Runs apart from the database (``edudata audit witness serve``, on another host if wanted) with its own Ed25519 key
and a state file: per log, the latest checkpoint it cosigned and the history of what it saw. It follows the C2SP
tlog-witness protocol: ``POST /add-checkpoint`` with ``old <size>``, the consistency proof from that size and the
signed checkpoint; it answers 200 with its cosignature line, 409 (with its size) when ``old`` is not the size it
last cosigned, 422 when the proof does not show the new tree extends the old one, 403 when the log's signature
is not valid. So a log rolled back, cut short or rewritten cannot get a cosignature without the witness seeing
it (Art. 59 防篡改). A new epoch (the log found its own rollback) is accepted only as a signed statement whose
positions begin after everything the witness saw, and the witness keeps the gap in its state.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edudata.audit import merkle, note

HISTORY = 100_000  # checkpoints kept per log: they localise a rewrite to the stretch between two of them
_lock = threading.Lock()


@dataclass
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def create_key(path: Path) -> Ed25519PrivateKey:
    """A new witness key at ``path`` (mode 0600); refuses to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def parse_vkey(text: str) -> tuple[str, bytes, int]:
    """``name+hex id+base64(type ‖ key)`` → (name, public key, type); checks the id."""
    try:
        name, kid, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise note.NoteError(f"not a verifier key: {text!r}") from None
    kind, public_key = raw[0], raw[1:]
    if len(public_key) != 32 or note.key_id(name, public_key, kind).hex() != kid:
        raise note.NoteError(f"verifier key does not match its id: {text!r}")
    return name, public_key, kind


class Witness:
    """The witness's decisions, on its state file (one writer at a time: a file lock and a process lock)."""

    def __init__(self, name: str, key: Ed25519PrivateKey, state_path: Path, logs: dict[str, bytes]) -> None:
        self.name, self.key, self.state_path = note.check_name(name), key, state_path
        self.logs = logs  # origin → the log's public key

    @property
    def vkey(self) -> str:
        return note.vkey(self.name, note.raw_public(self.key), note.COSIGNATURE_V1)

    def load(self) -> dict[str, Any]:
        if not self.state_path.exists():
            return {"witness": self.name, "logs": {}}
        return json.loads(self.state_path.read_text())

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.state_path.with_name(f".{self.state_path.name}.tmp")
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)  # whole or not at all, even if the witness is killed

    @contextlib.contextmanager
    def _locked(self):  # noqa: ANN202 - context manager
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        with _lock, open(self.state_path.with_name(f".{self.state_path.name}.lock"), "w") as lockfile:
            fcntl.flock(lockfile, fcntl.LOCK_EX)
            yield

    def add_checkpoint(self, body: str) -> Answer:
        """The C2SP ``add-checkpoint`` request: ``old N``, proof lines, a blank line, the signed checkpoint."""
        head, sep, signed = body.partition("\n\n")
        lines = head.split("\n")
        if not sep or not lines[0].startswith("old ") or not lines[0][4:].isdigit():
            return Answer(
                400, "malformed request: expected 'old <size>', proof lines, a blank line, a checkpoint"
            )
        old = int(lines[0][4:])
        try:
            proof = [base64.b64decode(p, validate=True) for p in lines[1:] if p]
            text = note.parse(signed).text
            cp = note.parse_checkpoint(text)
        except (ValueError, note.NoteError) as err:
            return Answer(400, f"malformed checkpoint: {err}")
        log_key = self.logs.get(cp.origin)
        if log_key is None:
            return Answer(404, f"unknown log {cp.origin}")
        try:
            note.verify(signed, cp.origin, log_key)
        except note.NoteError as err:
            return Answer(403, f"the log's signature is not valid: {err}")
        with self._locked():
            state = self.load()
            log = state["logs"].get(cp.origin)
            answer = self._decide(log, old, proof, cp)
            if answer is not None:
                return answer
            now = int(time.time())
            line = note.cosign(text, self.name, self.key, now)
            entry = {
                "epoch": cp.epoch,
                "base": cp.base,
                "size": cp.size,
                "root": base64.b64encode(cp.root).decode(),
                "note": signed + line,
                "cosigned_at": now,
            }
            if log is None:
                log = state["logs"][cp.origin] = {"history": [], "epochs": []}
            elif cp.epoch != log["latest"]["epoch"]:
                prev = log["latest"]
                log["epochs"].append(
                    {
                        "epoch": cp.epoch,
                        "base": cp.base,
                        "previous_epoch": prev["epoch"],
                        "previous_end": prev["base"] + prev["size"],
                        "seen_at": now,
                    }
                )
            log["latest"] = entry
            log["history"] = [*log["history"], entry][-HISTORY:]
            self._save(state)
        return Answer(200, line)

    def _decide(self, log: dict | None, old: int, proof: list[bytes], cp: note.Checkpoint) -> Answer | None:
        """None to cosign; otherwise the refusal."""
        if log is None:
            if old != 0:
                return Answer(409, "0\n", "text/x.tlog.size")
            return None
        latest = latest_entry = log["latest"]
        if cp.epoch < latest["epoch"]:
            return Answer(409, f"{latest['size']}\n", "text/x.tlog.size")
        if cp.epoch > latest["epoch"]:
            # A new epoch: its positions must begin after everything this witness saw (never reused).
            if old != 0 or cp.base < latest_entry["base"] + latest_entry["size"]:
                return Answer(
                    422, "a new epoch must start from size 0, after every position this witness cosigned"
                )
            return None
        if old != latest["size"]:
            return Answer(409, f"{latest['size']}\n", "text/x.tlog.size")
        old_root = base64.b64decode(latest["root"])
        if cp.size < old or not merkle.verify_consistency(old, cp.size, old_root, cp.root, proof):
            return Answer(
                422, "the consistency proof does not show this tree extends the one cosigned before"
            )
        return None

    def latest(self, origin: str) -> str | None:
        log = self.load()["logs"].get(origin)
        return log["latest"]["note"] if log else None


def read_state_checkpoints(path: Path) -> list[str]:
    """Every cosigned checkpoint a witness's state file holds (for ``edudata audit verify --witness-state``)."""
    state = json.loads(Path(path).read_text())
    return [entry["note"] for log in state["logs"].values() for entry in log["history"]]


def serve(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``witness`` (call ``serve_forever`` on it): add-checkpoint, latest, history."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, answer: Answer) -> None:
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if urlparse(self.path).path != "/add-checkpoint":
                self._answer(Answer(404, "not found"))
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1_000_000:
                self._answer(Answer(413, "request too large"))
                return
            self._answer(witness.add_checkpoint(self.rfile.read(length).decode("utf-8", "replace")))

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            origin = parse_qs(url.query).get("origin", [""])[0]
            log = witness.load()["logs"].get(origin)
            if url.path == "/latest" and log:
                self._answer(Answer(200, log["latest"]["note"]))
            elif url.path == "/history" and log:
                notes = [e["note"] for e in log["history"]]
                self._answer(
                    Answer(200, json.dumps({"notes": notes, "epochs": log["epochs"]}), "application/json")
                )
            elif url.path == "/key":
                self._answer(Answer(200, witness.vkey + "\n"))
            else:
                self._answer(Answer(404, "unknown log or path"))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            return

    return ThreadingHTTPServer((host, port), Handler)
