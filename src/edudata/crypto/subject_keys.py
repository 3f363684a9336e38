"""Per-person keys for crypto-shredding (Art. 34-36 数据销毁: 以不可逆方式销毁敏感数据及其副本).

A person's sensitive values are encrypted under a key of their own. Destroying that key — one small update —
makes every copy of their ciphertext unreadable at once: the row in the table, its history, exports that kept
ciphertext, database dumps taken later. Keys are never cached across calls, so a destruction takes effect on
every app server immediately.

The person is named by ``subject_ref``, the blind index of their identifier (``subject_ref(keys, "1101…")``),
so the key table never holds an identifier. Batch functions group by person and create missing keys in bulk;
call them in chunks of some 10,000–100,000 rows.

Limits to know (recorded in docs/crypto.md): the wiped key may survive in PostgreSQL dead tuples until VACUUM,
in SQLite free pages (``secure_delete`` is switched on for the wipe), and in any database backup taken before
the destruction — the backup process must keep ``crypto_subject_key`` out of long-lived backups or re-apply
destructions (:func:`destroy_subject_keys` is idempotent) when restoring.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Integer, String, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from edudata.crypto.blind_index import blind_index_many
from edudata.crypto.envelope import FORMAT_SUBJECT_KEY, HEADER, Aad, aad_list, decrypt_values, header
from edudata.crypto.errors import CiphertextInvalid, KeyUnavailable, SubjectDataDestroyed
from edudata.crypto.keys import NONCE, SUBJECT_KEYS_PURPOSE, KeyManager, insert_ignoring_conflicts
from edudata.crypto.models import SubjectKey
from edudata.db import utcnow

SUBJECT_REF_PURPOSE = "subject"  # blind-index purpose of person identifiers (身份证件号 etc.)
CHUNK = 5000  # rows per statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters


def subject_refs(keys: KeyManager, identifiers: Iterable[str | None]) -> list[str | None]:
    """The pseudonymous references of people, from their identifiers (normalised like any blind index)."""
    return blind_index_many(keys, SUBJECT_REF_PURPOSE, identifiers)


def subject_ref(keys: KeyManager, identifier: str) -> str:
    ref = subject_refs(keys, [identifier])[0]
    if ref is None:
        raise ValueError("a subject identifier must not be blank")
    return ref


def _wrap_aad(ref: str) -> bytes:
    return b"edudata/subject|" + ref.encode()


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _rows(session: Session, column, wanted: Iterable) -> dict:  # noqa: ANN001 - a SubjectKey column
    """Key rows by ``column`` (id or subject_ref); PostgreSQL gets one array parameter per chunk, not thousands."""
    wanted = list(wanted)
    found = {}
    columns = (SubjectKey.id, SubjectKey.subject_ref, SubjectKey.data_key_id, SubjectKey.wrapped_key)
    element = Integer() if column.key == "id" else String()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        if _is_postgresql(session):
            condition = column == any_(bindparam("wanted", chunk, type_=postgresql.ARRAY(element)))
        else:
            condition = column.in_(chunk)
        for row in session.execute(select(*columns).where(condition)):
            found[getattr(row, column.key)] = row
    return found


def _insert_keys(session: Session, rows: list[dict]) -> None:
    """Create key rows, leaving alone any that a concurrent writer created first (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    if not _is_postgresql(session):
        insert_ignoring_conflicts(session, SubjectKey.__table__, rows, ["subject_ref"])
        return
    # One statement over arrays: psycopg's executemany would make a round of the pipeline per row.
    session.execute(
        text(
            "INSERT INTO crypto_subject_key (subject_ref, data_key_id, wrapped_key, created_at) "
            "SELECT r, :data_key_id, w, :created_at "
            "FROM unnest(CAST(:refs AS VARCHAR[]), CAST(:wrapped AS BYTEA[])) AS t(r, w) "
            "ON CONFLICT (subject_ref) DO NOTHING"
        ),
        {
            "data_key_id": rows[0]["data_key_id"],
            "created_at": rows[0]["created_at"],
            "refs": [r["subject_ref"] for r in rows],
            "wrapped": [r["wrapped_key"] for r in rows],
        },
    )


def _unwrap(keys: KeyManager, rows: Iterable) -> dict[int, AESGCM | None]:
    """AEAD objects by subject-key id; ``None`` for a destroyed key."""
    rows = list(rows)
    deks = keys.deks({r.data_key_id for r in rows if r.wrapped_key is not None})
    out: dict[int, AESGCM | None] = {}
    for r in rows:
        if r.wrapped_key is None:
            out[r.id] = None
            continue
        wrapped = bytes(r.wrapped_key)
        try:
            raw = deks[r.data_key_id].aead.decrypt(wrapped[:NONCE], wrapped[NONCE:], _wrap_aad(r.subject_ref))
        except InvalidTag:
            raise KeyUnavailable(
                f"个人密钥 {r.id} 无法解开（记录被篡改）",
                f"subject key {r.id} does not unwrap (tampered record)",
            ) from None
        out[r.id] = AESGCM(raw)
    return out


def ensure_subject_keys(keys: KeyManager, refs: Iterable[str]) -> dict[str, tuple[int, AESGCM]]:
    """Each person's key, creating missing ones in bulk; a destroyed person raises :class:`SubjectDataDestroyed`."""
    wanted = set(refs)
    rows = _rows(keys.session, SubjectKey.subject_ref, wanted)
    missing = sorted(wanted - rows.keys())
    made: dict[str, tuple[bytes, AESGCM]] = {}  # ref -> (wrapped, key) for keys this call created
    if missing:
        dek = keys.active(SUBJECT_KEYS_PURPOSE)
        material = os.urandom((32 + NONCE) * len(missing))
        now = utcnow()
        new = []
        for i, ref in enumerate(missing):
            raw = material[i * 44 : i * 44 + 32]
            nonce = material[i * 44 + 32 : i * 44 + 44]
            wrapped = nonce + dek.aead.encrypt(nonce, raw, _wrap_aad(ref))
            made[ref] = (wrapped, AESGCM(raw))
            new.append({"subject_ref": ref, "data_key_id": dek.id, "wrapped_key": wrapped, "created_at": now})
        for start in range(0, len(new), CHUNK):
            _insert_keys(keys.session, new[start : start + CHUNK])
        rows.update(_rows(keys.session, SubjectKey.subject_ref, missing))
    for ref in wanted:
        if rows[ref].wrapped_key is None:
            raise SubjectDataDestroyed(ref)
    out: dict[str, tuple[int, AESGCM]] = {}
    others = []
    for ref, row in rows.items():
        mine = made.get(ref)
        if mine is not None and bytes(row.wrapped_key) == mine[0]:
            out[ref] = (row.id, mine[1])
        else:  # an existing key, or one another server created at the same moment: unwrap what is stored
            others.append(row)
    ciphers = _unwrap(keys, others)
    out.update({row.subject_ref: (row.id, ciphers[row.id]) for row in others})
    return out


def subject_ciphers(keys: KeyManager, key_ids: Iterable[int]) -> dict[int, AESGCM | None]:
    """For decryption: subject keys by id, ``None`` where destroyed."""
    wanted = set(key_ids)
    rows = _rows(keys.session, SubjectKey.id, wanted)
    absent = wanted - rows.keys()
    if absent:
        first = min(absent)
        raise KeyUnavailable(f"个人密钥 {first} 不存在，密文无法解密", f"subject key {first} does not exist")
    return _unwrap(keys, rows.values())


def encrypt_for_subjects(
    keys: KeyManager, refs: Sequence[str | None], values: Sequence[str | None], aad: Aad = None
) -> list[bytes | None]:
    """Encrypt ``values[i]`` under the key of person ``refs[i]`` (a column of a million rows in chunks)."""
    if len(refs) != len(values):
        raise ValueError(f"{len(refs)} subject references for {len(values)} values")
    aads = aad_list(aad, len(values))
    for ref, value in zip(refs, values, strict=True):
        if value is not None and not ref:
            raise ValueError("every encrypted value needs the reference of the person it is about")
    ciphers = ensure_subject_keys(keys, {r for r, v in zip(refs, values, strict=True) if v is not None})
    heads = {ref: header(FORMAT_SUBJECT_KEY, key_id) for ref, (key_id, _) in ciphers.items()}
    nonces = os.urandom(NONCE * len(values))
    out: list[bytes | None] = []
    for i, (ref, value) in enumerate(zip(refs, values, strict=True)):
        if value is None:
            out.append(None)
            continue
        if not isinstance(value, str):
            raise TypeError(f"encrypted values are text, got {type(value).__name__}")
        head, nonce = heads[ref], nonces[i * NONCE : i * NONCE + NONCE]
        out.append(head + nonce + ciphers[ref][1].encrypt(nonce, value.encode(), head + aads[i]))
    return out


def encrypt_for_subject(
    keys: KeyManager, ref: str, values: Sequence[str | None], aad: Aad = None
) -> list[bytes | None]:
    return encrypt_for_subjects(keys, [ref] * len(values), values, aad)


def decrypt_for_subject(
    keys: KeyManager, ref: str, values: Sequence[bytes | None], aad: Aad = None
) -> list[str | None]:
    """Decrypt one person's values, refusing any value that was not encrypted under that person's key."""
    row = _rows(keys.session, SubjectKey.subject_ref, [ref]).get(ref)
    if row is not None and row.wrapped_key is None:
        raise SubjectDataDestroyed(ref)
    expected = header(FORMAT_SUBJECT_KEY, row.id) if row is not None else None
    for i, value in enumerate(values):
        if value is not None and bytes(value[:HEADER]) != expected:
            raise CiphertextInvalid(
                f"第 {i + 1} 个加密值不属于该人员", f"encrypted value {i + 1} does not belong to this person"
            )
    return decrypt_values(keys, values, aad)


def destroy_subject_keys(session: Session, refs: Iterable[str]) -> int:
    """Wipe the keys of these people (Art. 35-36): idempotent; returns how many live keys were destroyed now."""
    refs = list(dict.fromkeys(refs))
    if (
        session.get_bind().dialect.name == "sqlite"
    ):  # overwrite freed pages so the old key is not left on disk
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    destroyed = 0
    now = utcnow()
    for start in range(0, len(refs), CHUNK):
        result = session.execute(
            update(SubjectKey)
            .where(SubjectKey.subject_ref.in_(refs[start : start + CHUNK]), SubjectKey.destroyed_at.is_(None))
            .values(wrapped_key=None, destroyed_at=now)
            .execution_options(synchronize_session=False)
        )
        destroyed += result.rowcount
    session.flush()
    return destroyed


def destroy_subject_key(session: Session, subject_ref: str) -> bool:
    """Destroy one person's key; ``True`` when a live key was destroyed by this call."""
    return destroy_subject_keys(session, [subject_ref]) == 1


def is_destroyed(session: Session, subject_ref: str) -> bool:
    """Whether this person's key has been destroyed (a tombstone row exists)."""
    stmt = select(SubjectKey.destroyed_at).where(SubjectKey.subject_ref == subject_ref)
    return session.execute(stmt).scalar_one_or_none() is not None
