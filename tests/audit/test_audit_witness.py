"""Witnessed checkpoints (Art. 59 防篡改): each kind of tampering is found against what a witness cosigned, at the
right place; a witness refuses a checkpoint that does not extend the one it cosigned; a restore from an older
backup becomes a new epoch with the gap stated, and no position or record number is given out twice."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, text

from edudata.audit import merkle, note
from edudata.audit.checkpoints import origin
from edudata.audit.models import AuditEpoch, AuditRecord
from edudata.audit.sequencer import SequencerThread, sequence_all
from edudata.audit.service import record_many, record_now
from edudata.audit.tree import encode_nodes
from edudata.audit.verify import verify_log
from edudata.audit.witness import Witness, create_key, serve
from edudata.audit.witness_client import fetch_witnessed, submit_to_witnesses
from edudata.config import Settings
from edudata.crypto import signing
from edudata.db import Database
from support.audit_log import edit_record

STEP, STEPS = 5, 8  # 40 records, a checkpoint cosigned after every 5


@dataclass
class Running:
    witness: Witness
    url: str
    settings: Settings  # the platform's settings with this witness configured

    def witnessed(self) -> list[str]:
        return fetch_witnessed(self.url, self.settings)

    def verify(self, db: Database, **kw) -> object:  # noqa: ANN003
        with db.session() as s:
            return verify_log(
                s,
                self.settings,
                witnessed=self.witnessed(),
                witness_keys={self.witness.name: note.raw_public(self.witness.key)},
                **kw,
            )


@pytest.fixture
def witness(settings: Settings, tmp_path: Path) -> Iterator[Running]:
    """A real witness: its own key and state file, served over HTTP on a loopback port."""
    key = create_key(tmp_path / "witness.key")
    w = Witness(
        "witness.test", key, tmp_path / "witness.json", {origin(settings): signing.public_key_bytes(settings)}
    )
    server = serve(w, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    configured = settings.model_copy(update={"audit_witnesses": f"{w.vkey}@{url}"})
    yield Running(w, url, configured)
    server.shutdown()
    server.server_close()


def _activity(db: Database, n: int, start: int = 1) -> None:
    with db.session() as s:
        record_many(
            s, [{"operation": "query", "username": f"u{i}", "row_count": i} for i in range(start, start + n)]
        )
        s.commit()


def _witnessed_history(db: Database, w: Running) -> None:
    for step in range(STEPS):
        _activity(db, STEP, 1 + step * STEP)
        sequence_all(db, w.settings, checkpoint=True)
        assert submit_to_witnesses(db, w.settings) == {"witness.test": "cosigned"}


def _sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def _rewind(db: Database, size: int) -> None:
    """What an attacker with write access does to hide a cut: the tree's state, checkpoints and cosignatures
    made to agree with ``size`` leaves (all computable without the key)."""
    with db.engine.begin() as conn:
        hashes = conn.execute(
            text("SELECT leaf_hash FROM audit_record WHERE leaf < :n ORDER BY leaf"), {"n": size}
        )
        compact = merkle.CompactRange()
        compact.extend([bytes.fromhex(h) for (h,) in hashes])
        conn.execute(
            text("UPDATE audit_tree SET size = :n, nodes = :nodes, root = :root"),
            {"n": size, "nodes": encode_nodes(compact.nodes), "root": compact.root().hex()},
        )
        conn.execute(text("DELETE FROM audit_checkpoint WHERE size > :n"), {"n": size})
        conn.execute(text("DELETE FROM audit_cosignature WHERE size > :n"), {"n": size})


def _rebuild_without_key(db: Database) -> None:
    """Change record 7, then make the whole log agree with it again: every leaf hash, the tree's state. The
    checkpoints cannot be re-signed without the key, so they are removed."""
    from edudata.audit import chain

    edit_record(db, 7, row_count=999)
    with db.engine.begin() as conn:
        rows = conn.execute(select(AuditRecord.__table__).order_by(AuditRecord.leaf)).all()
        compact = merkle.CompactRange()
        for row in rows:
            m = row._mapping
            body = chain.body(m["seq"], chain.format_at(m["at"]), [m[n] for n in chain.FIELDS])
            digest = merkle.leaf_hash(chain.leaf_data(m["leaf"], body))
            compact.append(digest)
            conn.execute(
                text("UPDATE audit_record SET leaf_hash = :h WHERE seq = :s"),
                {"h": digest.hex(), "s": m["seq"]},
            )
        conn.execute(
            text("UPDATE audit_tree SET nodes = :nodes, root = :root"),
            {"nodes": encode_nodes(compact.nodes), "root": compact.root().hex()},
        )
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("DELETE FROM audit_cosignature"))
        conn.execute(text("DELETE FROM audit_tile"))


TAMPERING = {
    # kind: (what is done, the first bad record named, a word of the reason)
    "edit": (lambda db: edit_record(db, 7, username="mallory"), 7, "altered"),
    "delete": (lambda db: _sql(db, "DELETE FROM audit_record WHERE seq = 7"), 7, "missing"),
    "reorder": (
        lambda db: [
            _sql(db, "UPDATE audit_record SET leaf = -1 WHERE seq = 7"),
            _sql(db, "UPDATE audit_record SET leaf = 6 WHERE seq = 9"),
            _sql(db, "UPDATE audit_record SET leaf = 8 WHERE seq = 7"),
        ],
        7,
        "moved",
    ),
    "truncate_one": (
        lambda db: [_sql(db, "DELETE FROM audit_record WHERE seq = 40"), _rewind(db, 39)],
        40,
        "removed",
    ),
    "truncate_many": (
        lambda db: [_sql(db, "DELETE FROM audit_record WHERE seq > 27"), _rewind(db, 27)],
        28,
        "removed",
    ),
    "after_last_checkpoint": (
        lambda db: [_sql(db, "DELETE FROM audit_record WHERE leaf >= 35"), _rewind(db, 35)],
        36,
        "removed",
    ),
    "rebuild_without_key": (_rebuild_without_key, 6, "rewritten"),
}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_tampering_is_found_against_the_witnessed_checkpoint_at_its_place(
    kind: str, db: Database, witness: Running
) -> None:
    _witnessed_history(db, witness)
    assert witness.verify(db).ok
    tamper, first_bad, word = TAMPERING[kind]
    tamper(db)
    result = witness.verify(db)
    assert not result.ok, result
    assert result.first_bad_seq == first_bad, result
    assert word in result.reason_en and result.reason_zh
    if kind == "rebuild_without_key":  # the stretch between the witnessed sizes 5 and 10 holds record 7
        assert "6–10" in result.reason_en
    if kind in ("after_last_checkpoint", "rebuild_without_key"):
        with (
            db.session() as s
        ):  # what the database alone says: consistent with itself; only the witness shows it
            assert verify_log(s, witness.settings).ok


def test_the_witness_refuses_a_checkpoint_that_does_not_extend_the_last_one(
    db: Database, witness: Running, settings: Settings
) -> None:
    _witnessed_history(db, witness)
    state = witness.witness.load()["logs"][origin(settings)]["latest"]
    assert state["size"] == 40
    # A tree of 41 leaves that does not start with the witnessed 40, properly signed by the log's own key.
    other = [merkle.leaf_hash(f"forged {i}".encode()) for i in range(41)]
    body = note.Checkpoint(origin(settings), 41, merkle.root(other), 1, 1, 0).text()
    signed = note.sign(body, origin(settings), signing.private_key(settings))
    proof = merkle.consistency_proof(40, 41, lambda a, b: merkle.root(other[a:b]))

    def post(old: int, hashes: list[bytes], checkpoint: str) -> httpx.Response:
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
        return httpx.post(f"{witness.url}/add-checkpoint", content=f"old {old}\n{lines}\n{checkpoint}")

    refused = post(40, proof, signed)
    assert refused.status_code == 422 and "consistency" in refused.text
    stale = post(35, proof, signed)
    assert stale.status_code == 409 and stale.text.strip() == "40"
    stranger = note.sign(body, origin(settings), Ed25519PrivateKey.generate())
    assert post(40, proof, stranger).status_code == 403
    smaller = note.sign(
        note.Checkpoint(origin(settings), 39, other[0], 2).text(),
        origin(settings),
        signing.private_key(settings),
    )
    assert post(40, [], smaller).status_code == 422
    assert witness.witness.load()["logs"][origin(settings)]["latest"]["size"] == 40  # nothing moved


def _snapshot(db: Database) -> dict[str, list]:
    """A backup of the audit tables and the record counter, as a restore would bring them back."""
    with db.engine.connect() as conn:
        tables = {
            t: conn.execute(text(f"SELECT {_STORED.get(t, '*') if db.is_sqlite else '*'} FROM {t}"))  # noqa: S608
            .mappings()
            .all()
            for t in _TABLES
        }
        if db.is_sqlite:
            counter = conn.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_record'")
            ).scalar()
        else:
            counter = conn.execute(text("SELECT last_value FROM audit_record_seq_seq")).scalar()
    return {"tables": [(t, [dict(r) for r in rows]) for t, rows in tables.items()], "counter": counter}


_TABLES = ("audit_record", "audit_tree", "audit_tile", "audit_checkpoint", "audit_cosignature", "audit_epoch")
#: SQLite: a record's stored columns; the others are generated from its body (a dump restores them by themselves).
_STORED = {"audit_record": "seq, body, leaf, leaf_hash"}


def _restore(db: Database, backup: dict) -> None:
    with db.engine.begin() as conn:
        for table, rows in backup["tables"]:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
            if rows:
                cols = ", ".join(rows[0])
                marks = ", ".join(f":{c}" for c in rows[0])
                conn.execute(text(f"INSERT INTO {table} ({cols}) VALUES ({marks})"), rows)  # noqa: S608
        if db.is_sqlite:
            conn.execute(
                text("UPDATE sqlite_sequence SET seq = :c WHERE name = 'audit_record'"),
                {"c": backup["counter"]},
            )
        else:
            conn.execute(text("SELECT setval('audit_record_seq_seq', :c)"), {"c": backup["counter"]})


def test_a_restore_from_an_older_backup_is_found_recorded_and_reported(
    db: Database,
    witness: Running,
    http: httpx.Client,
    accounts,  # noqa: ANN001
) -> None:
    _activity(db, 10)
    sequence_all(db, witness.settings, checkpoint=True)
    submit_to_witnesses(db, witness.settings)
    backup = _snapshot(db)
    _activity(db, 10, 11)  # audited activity after the backup: seqs 11–20, positions 10–19, cosigned
    sequence_all(db, witness.settings, checkpoint=True)
    assert submit_to_witnesses(db, witness.settings) == {"witness.test": "cosigned"}

    _restore(db, backup)
    record_now(db, operation="login", username="after-restore")  # numbered by the restored counter: 11
    thread = SequencerThread(db, witness.settings, interval=0.05)
    thread.round()  # finds the rollback before the tree grows, then integrates and signs
    thread.round()
    assert submit_to_witnesses(db, witness.settings) == {"witness.test": "up to date"}

    with db.session() as s:
        epoch = s.get(AuditEpoch, 2)
        assert epoch is not None and (epoch.gap_from, epoch.gap_to, epoch.base) == (10, 20, 20)
        assert "witness.test" in epoch.witness and "\n20\n" in epoch.evidence
        leaves = s.scalars(select(AuditRecord.leaf).order_by(AuditRecord.leaf)).all()
        assert leaves == [*range(10), 20, 21]  # positions 10–19 are never given to another record
        seqs = s.scalars(
            select(AuditRecord.seq).where(AuditRecord.leaf >= 20).order_by(AuditRecord.leaf)
        ).all()
        assert all(seq > 1 << 40 for seq in seqs)  # numbers 11–20 of the lost records are not reused
        ops = s.scalars(
            select(AuditRecord.operation).where(AuditRecord.leaf >= 20).order_by(AuditRecord.leaf)
        ).all()
        assert ops == ["login", "audit_rollback"]  # in the order they were numbered
    result = witness.verify(db)
    assert result.ok and result.epoch == 2 and [(g.gap_from, g.gap_to) for g in result.gaps] == [(10, 20)]
    assert "GAP" in result.summary() and "10–19" in result.summary()
    state = witness.witness.load()["logs"][origin(witness.settings)]
    assert state["latest"]["epoch"] == 2 and state["epochs"][0]["previous_end"] == 20

    accounts.create("gapaudit", roles=("auditor",))
    shown = http.get("/api/v1/audit/verify", headers=accounts.headers("gapaudit")).json()
    assert shown["ok"] and shown["gaps"][0]["gap_from"] == 10 and shown["gaps"][0]["gap_to"] == 20
    page = http.get(
        "/audit", params={"verify": "1"}, headers={**accounts.headers("gapaudit"), "accept": "text/html"}
    )
    assert page.status_code == 200 and 'id="verify-gap-2"' in page.text and "回滚缺口" in page.text
    with db.session() as s:
        assert s.scalar(select(func.count()).where(AuditRecord.operation == "audit_rollback")) == 1
