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
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Integer, String, any_, bindparam, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from edudata.crypto.blind_index import blind_index_many
from edudata.crypto.envelope import (
    FORMAT_DATA_KEY,
    FORMAT_SUBJECT_KEY,
    HEADER,
    Aad,
    aad_list,
    decrypt_values,
    header,
    key_ids,
    open_all,
)
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


def _insert_keys(session: Session, rows: list[dict]) -> dict[str, int] | None:
    """Create key rows, leaving alone any that a concurrent writer created first (ON CONFLICT DO NOTHING).

    PostgreSQL answers with the ids of the rows it inserted (``subject_ref → id``), so a bulk creation needs no
    second read; SQLite answers ``None`` and the caller reads the rows back."""
    if not rows:
        return {}
    if not _is_postgresql(session):
        insert_ignoring_conflicts(session, SubjectKey.__table__, rows, ["subject_ref"])
        return None
    # One statement over arrays: psycopg's executemany would make a round of the pipeline per row.
    result = session.execute(
        text(
            "INSERT INTO crypto_subject_key (subject_ref, data_key_id, wrapped_key, created_at) "
            "SELECT r, :data_key_id, w, :created_at "
            "FROM unnest(CAST(:refs AS VARCHAR[]), CAST(:wrapped AS BYTEA[])) AS t(r, w) "
            "ON CONFLICT (subject_ref) DO NOTHING RETURNING subject_ref, id"
        ),
        {
            "data_key_id": rows[0]["data_key_id"],
            "created_at": rows[0]["created_at"],
            "refs": [r["subject_ref"] for r in rows],
            "wrapped": [r["wrapped_key"] for r in rows],
        },
    )
    return {ref: key_id for ref, key_id in result}


WRAP_ECB = 32  # a key wrapped in bulk: AES-256-ECB of the 32 random bytes (two blocks), no nonce, no tag
_ECB_INFO = b"edudata/subject-keys|ecb-wrap"


def _ecb(dek, decrypt: bool = False):  # noqa: ANN001, ANN202 - a Dek; a cipher context
    """AES-256-ECB under a key derived from the ``subject-keys`` data key (its own key: the GCM key is never
    used in another mode). ECB is sound for wrapping keys that are uniformly random (no two blocks repeat but
    by a 2⁻¹²⁸ chance) and lets one call wrap or unwrap a million keys (Art. 27-28)."""
    cipher = Cipher(algorithms.AES(dek.derive(_ECB_INFO)), modes.ECB())  # noqa: S305 - random keys only
    return cipher.decryptor() if decrypt else cipher.encryptor()


def wrap_many(dek, raws: bytes) -> bytes:  # noqa: ANN001 - a Dek
    """Wrap ``len(raws) // 32`` keys at once (32 bytes each, concatenated) under ``dek``: one C call."""
    ctx = _ecb(dek)
    return ctx.update(raws) + ctx.finalize()


def _unwrap_raw(keys: KeyManager, rows: Iterable) -> dict[int, bytes | None]:
    """Raw key material by subject-key id; ``None`` for a destroyed key.

    Two wrapped formats, told apart by length: 32 bytes (bulk AES-ECB, :func:`wrap_many`; unwrapped by one call
    per data key for all rows) and 60 bytes (nonce · AES-GCM with the subject reference as AAD, the keys made
    before bulk wrapping; one call each). A tampered 32-byte wrap gives a wrong key, so the person's values then
    fail their own tag check (``CiphertextInvalid``) instead of decrypting."""
    rows = list(rows)
    deks = keys.deks({r.data_key_id for r in rows if r.wrapped_key is not None})
    out: dict[int, bytes | None] = {}
    bulk: dict[int, list] = {}
    for r in rows:
        if r.wrapped_key is None:
            out[r.id] = None
            continue
        wrapped = bytes(r.wrapped_key)
        if len(wrapped) == WRAP_ECB:
            bulk.setdefault(r.data_key_id, []).append((r.id, wrapped))
            continue
        try:
            out[r.id] = deks[r.data_key_id].aead.decrypt(
                wrapped[:NONCE], wrapped[NONCE:], _wrap_aad(r.subject_ref)
            )
        except InvalidTag:
            raise KeyUnavailable(
                f"个人密钥 {r.id} 无法解开（记录被篡改）",
                f"subject key {r.id} does not unwrap (tampered record)",
            ) from None
    for data_key_id, items in bulk.items():
        ctx = _ecb(deks[data_key_id], decrypt=True)
        raw = ctx.update(b"".join(w for _, w in items)) + ctx.finalize()
        out.update({key_id: raw[i * 32 : i * 32 + 32] for i, (key_id, _) in enumerate(items)})
    return out


def _unwrap(keys: KeyManager, rows: Iterable) -> dict[int, AESGCM | None]:
    """AEAD objects by subject-key id; ``None`` for a destroyed key."""
    return {key_id: None if raw is None else AESGCM(raw) for key_id, raw in _unwrap_raw(keys, rows).items()}


class SubjectKeyset(dict):
    """People's keys prepared for sealing: ``subject_ref → (key id, raw key)``, from :func:`prepare_subjects`.

    Raw bytes (about 100 bytes a person), not AEAD objects (several hundred bytes to kilobytes each in
    ``cryptography``): a load of a million people prepares them all before its ``COPY`` starts (the database
    connection is busy streaming then) and :func:`seal_columns` makes the AEAD objects of one chunk at a time."""


def prepare_subjects(keys: KeyManager, refs: Iterable[str | None]) -> SubjectKeyset:
    """Find or create, in bulk, the keys of these people (``None`` entries are skipped); a destroyed person
    raises :class:`SubjectDataDestroyed`.

    New keys: one ``os.urandom`` for all of them, wrapped by one AES-ECB call under the active ``subject-keys``
    data key (:func:`wrap_many`), inserted in chunks of one array statement each (PostgreSQL returns their ids,
    so nothing is read back)."""
    wanted = {r for r in refs if r}
    rows = _rows(keys.session, SubjectKey.subject_ref, wanted)
    missing = sorted(wanted - rows.keys())
    out = SubjectKeyset()
    if missing:
        dek = keys.active(SUBJECT_KEYS_PURPOSE)
        material = os.urandom(32 * len(missing))
        wrapped = wrap_many(dek, material)  # one call for every new key
        now = utcnow()
        made = {ref: material[i * 32 : i * 32 + 32] for i, ref in enumerate(missing)}
        new = [
            {
                "subject_ref": ref,
                "data_key_id": dek.id,
                "wrapped_key": wrapped[i * 32 : i * 32 + 32],
                "created_at": now,
            }
            for i, ref in enumerate(missing)
        ]
        lost: list[str] = []  # created at the same moment by another writer: its key is the one stored
        for start in range(0, len(new), CHUNK):
            part = new[start : start + CHUNK]
            ids = _insert_keys(keys.session, part)
            if ids is None:  # SQLite: read the chunk back and keep ours where the stored key is ours
                stored = _rows(keys.session, SubjectKey.subject_ref, [r["subject_ref"] for r in part])
                for r in part:
                    row = stored[r["subject_ref"]]
                    if bytes(row.wrapped_key or b"") == r["wrapped_key"]:
                        out[r["subject_ref"]] = (row.id, made[r["subject_ref"]])
                    else:
                        rows[r["subject_ref"]] = row
                continue
            for r in part:
                ref = r["subject_ref"]
                if ref in ids:
                    out[ref] = (ids[ref], made[ref])
                else:
                    lost.append(ref)
        if lost:
            rows.update(_rows(keys.session, SubjectKey.subject_ref, lost))
    existing = [row for ref, row in rows.items() if ref not in out]
    for row in existing:
        if row.wrapped_key is None:
            raise SubjectDataDestroyed(row.subject_ref)
    raw = _unwrap_raw(keys, existing)
    out.update({row.subject_ref: (row.id, raw[row.id]) for row in existing})
    return out


def ensure_subject_keys(keys: KeyManager, refs: Iterable[str]) -> dict[str, tuple[int, AESGCM]]:
    """Each person's key as an AEAD object, creating missing ones in bulk (:func:`prepare_subjects`)."""
    return {ref: (key_id, AESGCM(raw)) for ref, (key_id, raw) in prepare_subjects(keys, refs).items()}


def subject_ciphers(keys: KeyManager, key_ids: Iterable[int]) -> dict[int, AESGCM | None]:
    """For decryption: subject keys by id, ``None`` where destroyed."""
    wanted = set(key_ids)
    rows = _rows(keys.session, SubjectKey.id, wanted)
    absent = wanted - rows.keys()
    if absent:
        first = min(absent)
        raise KeyUnavailable(f"个人密钥 {first} 不存在，密文无法解密", f"subject key {first} does not exist")
    return _unwrap(keys, rows.values())


def _check_refs(refs: Sequence[str | None], columns: Mapping[str, Sequence[str | None]]) -> set[str]:
    """The people the values are about; every present value needs its person."""
    for name, values in columns.items():
        if len(values) != len(refs):
            raise ValueError(f"{len(refs)} subject references for {len(values)} values of {name}")
    nobody = [
        i for i, ref in enumerate(refs) if not ref
    ]  # usually none: checked only where a person is missing
    if any(values[i] is not None for values in columns.values() for i in nobody):
        raise ValueError("every encrypted value needs the reference of the person it is about")
    people = set(refs)
    people.discard(None)
    people.discard("")
    return people


def seal_columns(
    keys: KeyManager,
    refs: Sequence[str | None],
    columns: Mapping[str, Sequence[str | None]],
    aads: Mapping[str, Aad] | None = None,
    prepared: SubjectKeyset | None = None,
) -> dict[str, list[bytes | None]]:
    """Encrypt several columns of the same rows, ``columns[name][i]`` under the key of person ``refs[i]``.

    The primitive of per-subject encryption (crypto-shredding, Art. 35-36): arrays in, a ciphertext column per
    name out, in the envelope format of :mod:`edudata.crypto.envelope` (format 2, the person's key id in the
    header), so :func:`edudata.crypto.envelope.decrypt_values` / :func:`open_columns` read them back. The
    people's keys are found or created in bulk **once** for all columns; per column there is one
    ``os.urandom`` for the nonces and one AES-GCM call per value (``cryptography`` has no batch AEAD call).
    ``aads[name]`` binds a column's values to their place (e.g. ``b"student_basic.SJHM"``); ``None`` values
    stay ``None``. Call it with chunks of some 10,000–100,000 rows; ``prepared`` (from :func:`prepare_subjects`
    over all the rows of a load) makes the call touch no database at all."""
    people = _check_refs(refs, columns)
    if prepared is None:
        prepared = prepare_subjects(keys, people) if people else SubjectKeyset()
    elif people - prepared.keys():
        raise ValueError(f"{len(people - prepared.keys())} people's keys were not prepared")
    # Row by row: one AEAD object (key schedule) made, used for the row's values and dropped. Column by column
    # with one object a person alive for the whole chunk cost more per row the larger the chunk (100,000 key
    # schedules walked eight times fall out of the CPU caches, issue 17).
    names = list(columns)
    value_lists = [columns[name] for name in names]
    aad_lists = [aad_list((aads or {}).get(name), len(refs)) for name in names]
    outs: list[list[bytes | None]] = [[None] * len(refs) for _ in names]
    plan = list(zip(value_lists, aad_lists, outs, strict=True))
    nonces = os.urandom(NONCE * len(refs) * len(names))  # one system call for every value
    at = 0
    heads: dict[int, bytes] = {}
    for i, ref in enumerate(refs):
        if not ref:
            continue
        key_id, raw = prepared[ref]
        head = heads.get(key_id)
        if head is None:
            head = heads[key_id] = header(FORMAT_SUBJECT_KEY, key_id)
        encrypt = None
        for values, column_aads, sealed in plan:
            value = values[i]
            if value is None:
                continue
            if type(value) is not str:
                raise TypeError(f"encrypted values are text, got {type(value).__name__}")
            if encrypt is None:
                encrypt = AESGCM(raw).encrypt
            nonce = nonces[at : at + NONCE]
            at += NONCE
            sealed[i] = head + nonce + encrypt(nonce, value.encode(), head + column_aads[i])
    return dict(zip(names, outs, strict=True))


def open_columns(
    keys: KeyManager,
    columns: Mapping[str, Sequence[bytes | None]],
    aads: Mapping[str, Aad] | None = None,
    *,
    on_destroyed: Literal["raise", "none"] = "none",
) -> dict[str, list[str | None]]:
    """The reverse of :func:`seal_columns`: each column decrypted, every key involved loaded and unwrapped once
    for all columns. A destroyed person's values read as ``None`` (or raise :class:`SubjectDataDestroyed` with
    ``on_destroyed="raise"``); any other failure raises :class:`CiphertextInvalid`. Values under a data key
    (format 1) decrypt too, so a column half re-sealed reads whole."""
    heads: set[bytes] = set()
    for values in columns.values():
        heads.update(bytes(v[:HEADER]) for v in values if v is not None)
    found: dict[bytes, AESGCM | None] = {}

    def resolve(wanted: set[bytes]) -> dict[bytes, AESGCM | None]:
        if not found and heads:
            by_subject = key_ids(heads, FORMAT_SUBJECT_KEY)
            if by_subject:
                ciphers = subject_ciphers(keys, by_subject)
                found.update({head: ciphers[key_id] for key_id, head in by_subject.items()})
            by_key = key_ids(heads, FORMAT_DATA_KEY)
            if by_key:
                deks = keys.deks(by_key)
                found.update({head: deks[key_id].aead for key_id, head in by_key.items()})
        return {h: found[h] for h in wanted if h in found}

    return {
        name: open_all(values, aad_list((aads or {}).get(name), len(values)), resolve, on_destroyed)
        for name, values in columns.items()
    }


def seal_series(keys: KeyManager, refs: pl.Series, values: pl.Series, aad: bytes = b"") -> pl.Series:
    """:func:`seal_columns` for one Polars column: text values (``null`` and ``""`` stay ``null``) → Binary."""
    clear = values.cast(pl.String)
    clear = pl.select(pl.when(clear != "").then(clear)).to_series().to_list()
    sealed = seal_columns(keys, refs.cast(pl.String).to_list(), {"v": clear}, {"v": aad})["v"]
    return pl.Series(values.name, sealed, dtype=pl.Binary)


def open_series(
    keys: KeyManager, values: pl.Series, aad: bytes = b"", *, on_destroyed: Literal["raise", "none"] = "none"
) -> pl.Series:
    """:func:`open_columns` for one Polars Binary column → String (a destroyed person's values → ``null``)."""
    opened = open_columns(keys, {"v": values.to_list()}, {"v": aad}, on_destroyed=on_destroyed)["v"]
    return pl.Series(values.name, opened, dtype=pl.String)


def encrypt_for_subjects(
    keys: KeyManager, refs: Sequence[str | None], values: Sequence[str | None], aad: Aad = None
) -> list[bytes | None]:
    """Encrypt ``values[i]`` under the key of person ``refs[i]`` (one column; :func:`seal_columns` for more)."""
    return seal_columns(keys, refs, {"v": values}, {"v": aad})["v"]


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
        chunk = refs[start : start + CHUNK]
        wanted = (
            SubjectKey.subject_ref == any_(bindparam("wanted", chunk, type_=postgresql.ARRAY(String())))
            if _is_postgresql(session)  # one array parameter, not thousands (as _rows)
            else SubjectKey.subject_ref.in_(chunk)
        )
        result = session.execute(
            update(SubjectKey)
            .where(wanted, SubjectKey.destroyed_at.is_(None))
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
