"""Data keys (数据密钥, DEK) under the master key: creation, caching, rotation (Art. 27-28).

Envelope encryption: each purpose (``dataset:student_basic``, ``blind-index``, ``subject-keys`` …) has its own
random 256-bit DEK, stored only wrapped by the master key. Rotating the master key re-wraps the DEKs and never
touches a stored value; rotating a DEK gives new writes a new generation while old ones still decrypt.

Unwrapped DEKs are cached in the process (cleared through :mod:`edudata.cache`), but only once the transaction
that created them has committed: a key from a rolled-back transaction must never encrypt anything.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Row, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from edudata import cache
from edudata.config import Settings, get_settings
from edudata.crypto import master
from edudata.crypto.errors import KeyUnavailable
from edudata.crypto.models import DataKey
from edudata.db import utcnow
from edudata.errors import Conflict

NONCE = 12
# Purposes with a fixed meaning. Blind-index keys are never rotated: every stored index would change.
BLIND_INDEX_PURPOSE = "blind-index"
SUBJECT_KEYS_PURPOSE = "subject-keys"
ACTIVE_TTL_SECONDS = 300.0  # another server's data-key rotation is picked up within this time


@dataclass
class Dek:
    """An unwrapped data key; ``derived`` caches HKDF sub-keys (blind-index keys) made from it."""

    id: int
    purpose: str
    raw: bytes
    aead: AESGCM
    derived: dict[bytes, bytes] = field(default_factory=dict)

    def derive(self, info: bytes) -> bytes:
        key = self.derived.get(info)
        if key is None:
            key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self.raw)
            self.derived[info] = key
        return key


@dataclass(frozen=True)
class MasterRotation:
    """What :meth:`KeyManager.rotate_master_key` did, for the operator and the audit log."""

    new_version: int
    previous_versions: tuple[int, ...]
    rewrapped: int
    seconds: float


# Process caches, committed keys only: (database, key id) -> Dek and (database, purpose) -> (key id, loaded at).
_keys: dict[tuple[str, int], Dek] = {}
_active: dict[tuple[str, str], tuple[int, float]] = {}


def _clear() -> None:
    _keys.clear()
    _active.clear()


cache.register(_clear)


_COLUMNS = (DataKey.id, DataKey.purpose, DataKey.generation, DataKey.master_key_version, DataKey.wrapped_key)


def wrap_aad(purpose: str, generation: int) -> bytes:
    """The wrapped DEK is bound to its row's identity, so a wrapped key copied onto another row fails."""
    return f"edudata/dek|{purpose}|{generation}".encode()


def insert_ignoring_conflicts(session: Session, table, rows: list[dict], keys: list[str]) -> None:  # noqa: ANN001
    """INSERT … ON CONFLICT DO NOTHING: a concurrent creator of the same key wins cleanly instead of failing."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    else:  # pragma: no cover - only the two supported databases
        stmt = table.insert()
    session.execute(stmt, rows)


class KeyManager:
    """Finds, creates and rotates data keys for one session; cheap to make per request."""

    def __init__(self, session: Session, settings: Settings | None = None) -> None:
        self.session = session
        self.settings = settings or get_settings()
        self.db = session.get_bind().url.render_as_string(hide_password=True)
        self._pending: dict = session.info.setdefault("edudata.crypto.pending", {"keys": {}, "active": {}})
        if not session.info.get("edudata.crypto.listening"):
            session.info["edudata.crypto.listening"] = True
            event.listen(session, "after_commit", _promote_pending)
            event.listen(session, "after_transaction_end", _drop_pending)

    # -- reading -------------------------------------------------------------------------------------------
    def data_key(self, purpose: str) -> tuple[int, AESGCM]:
        """The DEK new values of ``purpose`` are encrypted with (created on first use)."""
        dek = self.active(purpose)
        return dek.id, dek.aead

    def active(self, purpose: str) -> Dek:
        pending = self._pending["active"].get((self.db, purpose))
        if pending is not None:
            return self._pending["keys"][(self.db, pending)]
        cached = _active.get((self.db, purpose))
        if cached is not None and time.monotonic() - cached[1] < ACTIVE_TTL_SECONDS:
            dek = _keys.get((self.db, cached[0]))
            if dek is not None:
                return dek
        row = self.session.execute(
            select(*_COLUMNS)
            .where(DataKey.purpose == purpose, DataKey.retired_at.is_(None))
            .order_by(DataKey.generation.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            return self._create(purpose)
        dek = self._remember(row)
        _active[(self.db, purpose)] = (dek.id, time.monotonic())
        return dek

    def cipher(self, key_id: int) -> AESGCM:
        return self.deks([key_id])[key_id].aead

    def deks(self, key_ids: Iterable[int]) -> dict[int, Dek]:
        """Every DEK named in ``key_ids`` (any generation, retired or not), loading missing ones in one query."""
        found: dict[int, Dek] = {}
        missing: list[int] = []
        for key_id in set(key_ids):
            dek = self._pending["keys"].get((self.db, key_id)) or _keys.get((self.db, key_id))
            if dek is None:
                missing.append(key_id)
            else:
                found[key_id] = dek
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            for row in self.session.execute(select(*_COLUMNS).where(DataKey.id.in_(chunk))):
                found[row.id] = self._remember(row)
        absent = [k for k in missing if k not in found]
        if absent:
            raise KeyUnavailable(
                f"数据密钥 {absent[0]} 不存在，密文无法解密", f"data key {absent[0]} does not exist"
            )
        return found

    def _remember(self, row: Row) -> Dek:
        """Unwrap a committed row and cache it for the process."""
        dek = self._unwrap(row.id, row.purpose, row.generation, row.master_key_version, row.wrapped_key)
        _keys[(self.db, row.id)] = dek
        return dek

    def _unwrap(self, key_id: int, purpose: str, generation: int, version: int, wrapped: bytes) -> Dek:
        ring = master.load_ring(self.settings)
        if version not in ring.keys:  # another process may have rotated since this one read the ring
            ring = master.load_ring(self.settings, fresh=True)
        try:
            raw = AESGCM(ring.key(version)).decrypt(
                wrapped[:NONCE], wrapped[NONCE:], wrap_aad(purpose, generation)
            )
        except InvalidTag:
            raise KeyUnavailable(
                f"数据密钥 {key_id} 无法用主密钥版本 {version} 解开（主密钥不符或密钥记录被篡改）",
                f"data key {key_id} does not unwrap under master version {version} (wrong master key or tampering)",
            ) from None
        return Dek(id=key_id, purpose=purpose, raw=raw, aead=AESGCM(raw))

    # -- creating and rotating -----------------------------------------------------------------------------
    def _create(self, purpose: str, generation: int | None = None) -> Dek:
        if generation is None:
            top = self.session.execute(
                select(func.max(DataKey.generation)).where(DataKey.purpose == purpose)
            ).scalar_one()
            generation = (top or 0) + 1
        ring = master.current_ring(self.settings)
        raw = secrets.token_bytes(32)
        nonce = secrets.token_bytes(NONCE)
        wrapped = nonce + AESGCM(ring.key(ring.active)).encrypt(nonce, raw, wrap_aad(purpose, generation))
        row = {"purpose": purpose, "generation": generation, "master_key_version": ring.active}
        insert_ignoring_conflicts(
            self.session, DataKey.__table__, [{**row, "wrapped_key": wrapped}], ["purpose", "generation"]
        )
        stored = self.session.execute(
            select(*_COLUMNS).where(DataKey.purpose == purpose, DataKey.generation == generation)
        ).one()
        if bytes(stored.wrapped_key) != wrapped:  # another server committed this generation first: use theirs
            dek = self._remember(stored)
            _active[(self.db, purpose)] = (dek.id, time.monotonic())
            return dek
        dek = Dek(id=stored.id, purpose=purpose, raw=raw, aead=AESGCM(raw))
        self._pending["keys"][(self.db, dek.id)] = dek
        self._pending["active"][(self.db, purpose)] = dek.id
        return dek

    def rotate_data_key(self, purpose: str) -> int:
        """A new generation for ``purpose`` takes every new write; older ones are retired but still decrypt."""
        if purpose == BLIND_INDEX_PURPOSE:
            raise Conflict(
                "盲索引密钥不可轮换：轮换会使已存储的全部盲索引失效，需要重新建立索引",
                "the blind-index key is not rotated: every stored index would have to be rebuilt",
                field="purpose",
            )
        top = self.session.execute(
            select(func.max(DataKey.generation)).where(DataKey.purpose == purpose)
        ).scalar()
        self.session.execute(
            update(DataKey)
            .where(DataKey.purpose == purpose, DataKey.retired_at.is_(None))
            .values(retired_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        _active.pop((self.db, purpose), None)
        dek = self._create(purpose, (top or 0) + 1)
        self.session.flush()
        return dek.id

    def rotate_master_key(self) -> MasterRotation:
        """Add a master-key version and re-wrap every DEK under it; no stored value is re-encrypted.

        The ring file is written first, so a failed database commit leaves every DEK readable under its old
        version. Old versions stay in the ring until :meth:`prune_master_keys` (after the commit).
        """
        started = time.perf_counter()
        before = master.load_ring(self.settings, fresh=True)
        ring = master.add_version(self.settings)
        new_key = AESGCM(ring.key(ring.active))
        rows = self.session.execute(
            select(
                DataKey.id,
                DataKey.purpose,
                DataKey.generation,
                DataKey.master_key_version,
                DataKey.wrapped_key,
            )
        ).all()
        updates = []
        for row in rows:
            dek = self._unwrap(row.id, row.purpose, row.generation, row.master_key_version, row.wrapped_key)
            nonce = secrets.token_bytes(NONCE)
            wrapped = nonce + new_key.encrypt(nonce, dek.raw, wrap_aad(row.purpose, row.generation))
            updates.append({"id": row.id, "wrapped_key": wrapped, "master_key_version": ring.active})
        if updates:
            self.session.execute(update(DataKey), updates)
        self.session.flush()
        return MasterRotation(
            new_version=ring.active,
            previous_versions=tuple(sorted(before.keys)),
            rewrapped=len(updates),
            seconds=time.perf_counter() - started,
        )

    def prune_master_keys(self) -> list[int]:
        """Remove ring versions no committed data key uses any more; returns the versions removed.

        Reads through a separate connection so only committed re-wraps count: pruning before the rotation's
        commit would otherwise strand keys whose re-wrap is later rolled back.
        """
        ring = master.load_ring(self.settings, fresh=True)
        with self.session.get_bind().connect() as conn:
            used = set(conn.execute(select(DataKey.master_key_version).distinct()).scalars())
        unused = {v for v in ring.keys if v not in used and v != ring.active}
        if unused:
            master.remove_versions(self.settings, unused)
        return sorted(unused)


def _promote_pending(session: Session) -> None:
    pending = session.info.get("edudata.crypto.pending")
    if not pending:
        return
    _keys.update(pending["keys"])
    now = time.monotonic()
    for key, key_id in pending["active"].items():
        _active[key] = (key_id, now)
    pending["keys"].clear()
    pending["active"].clear()


def _drop_pending(session: Session, transaction) -> None:  # noqa: ANN001 - SessionTransaction
    """Whatever was not promoted by a commit when the outermost transaction ends was rolled back: forget it."""
    if transaction.parent is not None:
        return
    pending = session.info.get("edudata.crypto.pending")
    if pending:
        pending["keys"].clear()
        pending["active"].clear()
