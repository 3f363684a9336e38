"""The governed side stores: a batch's staging files and the statistical snapshots (Art. 22, 26-28, 35).

They hold personal information outside the store's tables — good rows waiting for review, quarantined rows (what
the quarantine download is made of), a snapshot's frozen rows — so they belong to the data path like the tables:

- **Sealed per subject.** Each row whose person is known (the blind index ``subject_ref`` of its ID number, or the
  store's ``_subject`` of the rows a snapshot froze) is serialised and encrypted under **that person's key**
  (:mod:`edudata.crypto.subject_keys`) — one function, :func:`seal_rows`, does it. Destroying the person's key
  makes their staged and snapshot rows unreadable in every copy of the file, backups of ``data_dir`` included.
  A row without a person (a quarantined row whose ID number is missing) stays in the file's clear columns; the
  destruction's rewrite (``lifecycle.side_stores``) removes such rows by the person's identifier numbers.
- **Sealed as a file** under the ``ingest:staging`` data key (AES-256-GCM, bound to store and part by AAD), 0600
  in 0700 folders, as before.
- **Read only through :func:`read`**: the caller's policy action is checked and the read is audited
  (``side_store_read``: store, part, rows, and how many rows were unreadable because their person was
  destroyed — never a value). A destroyed person's rows are left out of what a read returns.

The destruction's own scan (:func:`scan`, :func:`rewrite`) runs under the destruction's authority and audit.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from edudata.audit import service as audit
from edudata.config import Settings
from edudata.crypto.envelope import FORMAT_DATA_KEY, HEADER, NONCE, header
from edudata.crypto.keys import KeyManager
from edudata.crypto.subject_keys import open_columns, seal_columns, subject_refs
from edudata.errors import NotFound
from edudata.policy import require

PURPOSE = "ingest:staging"
SUBJECT_ELEMENT = "SFZJH"  # the element whose blind index names the row's person (purpose "subject")
SUBJECT = "_subject"  # stored: the person's reference (a blind index, no value)
SEALED = "_sealed"  # stored: the row's values, sealed under the person's key
ROW = "_row"  # the row number in the producer's file: kept beside the seal (no personal value)
META = b"edudata/side-store|"


def directory(settings: Settings) -> Path:
    return Path(settings.data_dir) / "ingest"


def _path(settings: Settings, code: str, part: str) -> Path:
    return directory(settings) / "batches" / code / f"{part}.parquet.enc"


# ---- the per-subject seal: one function each way ------------------------------------------------------------
def seal_rows(keys: KeyManager, refs: Sequence[str], blobs: Sequence[str], aad: bytes) -> list[bytes | None]:
    """Each row's serialised values under the key of its person: one AEAD message a row, by the store's primitive
    (:func:`edudata.crypto.subject_keys.seal_columns`: keys found or created and wrapped in bulk, one key
    schedule a row)."""
    return seal_columns(keys, list(refs), {SEALED: list(blobs)}, {SEALED: aad})[SEALED]


def open_rows(keys: KeyManager, sealed: Sequence[bytes], aad: bytes) -> list[str | None]:
    """The reverse of :func:`seal_rows`; a destroyed person's row reads as ``None``."""
    return open_columns(keys, {SEALED: list(sealed)}, {SEALED: aad}, on_destroyed="none")[SEALED]


def _aad(code: str, part: str) -> bytes:
    return META + f"{code}/{part}".encode()


def _seal_subjects(
    keys: KeyManager, frame: pl.DataFrame, refs: list[str | None] | None, code: str, part: str
):  # noqa: ANN202
    """The frame as stored: rows with a person sealed under their key, the others kept in clear columns."""
    values = [c for c in frame.columns if c not in (ROW, SUBJECT)]
    if refs is None:
        if SUBJECT in frame.columns:  # a rewrite of rows read with their people (the destruction's)
            refs = frame.get_column(SUBJECT).cast(pl.String).to_list()
        elif SUBJECT_ELEMENT in frame.columns:
            refs = subject_refs(keys, frame.get_column(SUBJECT_ELEMENT).cast(pl.String).to_list())
        else:
            refs = [None] * frame.height
    has = pl.Series([bool(r) for r in refs], dtype=pl.Boolean)
    keyed = frame.filter(has)
    blobs = [
        json.dumps(list(row), ensure_ascii=False, default=str) for row in keyed.select(values).iter_rows()
    ]
    sealed_refs = [r for r in refs if r]
    sealed = seal_rows(keys, sealed_refs, blobs, _aad(code, part)) if blobs else []
    clear = frame.filter(~has)
    schema = {c: str(frame.schema[c]) for c in values}
    stored = pl.concat(
        [
            pl.DataFrame(
                {
                    **({ROW: keyed.get_column(ROW)} if ROW in frame.columns else {}),
                    SUBJECT: pl.Series(sealed_refs, dtype=pl.String),
                    SEALED: pl.Series(sealed, dtype=pl.Binary),
                }
            ),
            clear.select([c for c in (ROW, *values) if c in clear.columns]).with_columns(
                pl.lit(None, pl.String).alias(SUBJECT), pl.lit(None, pl.Binary).alias(SEALED)
            ),
        ],
        how="diagonal_relaxed",
    )
    return stored, {"columns": values, "schema": schema}


def _open_subjects(
    keys: KeyManager, stored: pl.DataFrame, meta: dict, code: str, part: str, keep_subject: bool = False
) -> tuple[pl.DataFrame, list[int | None]]:
    """The rows as written, and the row numbers of those whose person's key is destroyed (left out)."""
    values = meta["columns"]
    types = {c: _dtype(t) for c, t in meta["schema"].items()}
    has = stored.get_column(SEALED).is_not_null()
    keyed, clear = stored.filter(has), stored.filter(~has)
    opened = open_rows(keys, keyed.get_column(SEALED).to_list(), _aad(code, part)) if keyed.height else []
    readable = pl.Series([o is not None for o in opened], dtype=pl.Boolean)
    destroyed = (
        keyed.filter(~readable).get_column(ROW).to_list()
        if ROW in keyed.columns
        else [None] * (keyed.height - int(readable.sum()))
    )
    rows = [[None if v is None else str(v) for v in json.loads(o)] for o in opened if o is not None]
    body = pl.DataFrame(rows, schema={c: pl.String for c in values}, orient="row") if rows else None
    parts = []
    if body is not None:
        kept = keyed.filter(readable)
        if ROW in keyed.columns:
            body = body.with_columns(kept.get_column(ROW))
        if keep_subject:
            body = body.with_columns(kept.get_column(SUBJECT))
        parts.append(body.with_columns([pl.col(c).cast(types[c], strict=False) for c in values]))
    if clear.height:
        parts.append(clear.drop([SEALED] if keep_subject else [SUBJECT, SEALED]))
    order = ([ROW] if ROW in stored.columns else []) + values + ([SUBJECT] if keep_subject else [])
    if not parts:
        frame = pl.DataFrame(schema={**({ROW: pl.Int64} if ROW in stored.columns else {}), **types})
    else:
        frame = pl.concat(parts, how="diagonal_relaxed")
    frame = frame.select([c for c in order if c in frame.columns])
    if ROW in frame.columns:
        frame = frame.sort(ROW)
    return frame, destroyed


def _dtype(name: str) -> pl.DataType:
    return {"Int64": pl.Int64, "Int32": pl.Int32, "Float64": pl.Float64, "Boolean": pl.Boolean}.get(
        name, pl.String
    )


# ---- files ---------------------------------------------------------------------------------------------------
def write_frame(
    session: Session, settings: Settings, code: str, part: str, frame: pl.DataFrame,
    refs: list[str | None] | None = None,
) -> Path:  # fmt: skip
    """Seal ``frame`` as the ``part`` (good, quarantine, rows …) of ``code``: each row under its person's key
    (``refs``, or the blind index of the frame's ID-number column), then the file under the staging key."""
    keys = KeyManager(session, settings)
    stored, meta = _seal_subjects(keys, frame, refs, code, part)
    buffer = io.BytesIO()
    stored.write_parquet(buffer, compression="zstd")
    payload = json.dumps(meta, ensure_ascii=False).encode()
    clear = len(payload).to_bytes(4, "big") + payload + buffer.getvalue()
    dek = keys.active(PURPOSE)
    head = header(FORMAT_DATA_KEY, dek.id)
    nonce = os.urandom(NONCE)
    sealed = head + nonce + dek.aead.encrypt(nonce, clear, head + f"{code}/{part}".encode())
    path = _path(settings, code, part)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # only the service reads staging files
    with os.fdopen(fd, "wb") as out:
        out.write(sealed)
    tmp.replace(path)
    return path


def _open_file(
    session: Session, settings: Settings, code: str, part: str, keep_subject: bool = False
) -> tuple[pl.DataFrame, list[int | None]]:
    path = _path(settings, code, part)
    if not path.exists():
        raise NotFound(f"{code} 的暂存数据（{part}）不存在", f"staged data '{part}' of {code} is missing")
    sealed = path.read_bytes()
    head = sealed[:HEADER]
    keys = KeyManager(session, settings)
    aead = keys.cipher(int.from_bytes(head[1:HEADER], "big"))
    clear = aead.decrypt(
        sealed[HEADER : HEADER + NONCE], sealed[HEADER + NONCE :], head + f"{code}/{part}".encode()
    )
    size = int.from_bytes(clear[:4], "big")
    meta = json.loads(clear[4 : 4 + size])
    stored = pl.read_parquet(io.BytesIO(clear[4 + size :]))
    return _open_subjects(keys, stored, meta, code, part, keep_subject)


def read(
    caller, ctx, code: str, part: str, *, action: str, unit_code: str | None = None,  # noqa: ANN001
    dataset: str | None = None, why: str = "",
) -> pl.DataFrame:  # fmt: skip
    """The rows of a side store, for a caller the policy lets take ``action`` (on ``unit_code``'s object);
    audited as ``side_store_read``. A destroyed person's rows are not in the answer."""
    require(caller, action, unit_code=unit_code)
    frame, destroyed = _open_file(ctx.session, ctx.settings, code, part)
    audit.record(
        ctx.session, operation="side_store_read", dataset=dataset, row_count=frame.height,
        account_id=caller.account_id, username=caller.username, unit_code=caller.unit_code,
        source_ip=caller.source_ip, request_id=ctx.request_id,
        detail={"store": code, "part": part, "action": action, "why": why, "destroyed_rows": len(destroyed)},
    )  # fmt: skip
    return frame


def exists(settings: Settings, code: str, part: str) -> bool:
    return _path(settings, code, part).exists()


def batch_exists(settings: Settings, code: str) -> bool:
    return (directory(settings) / "batches" / code).exists()


def remove_batch(settings: Settings, code: str) -> None:
    folder = directory(settings) / "batches" / code
    if folder.exists():
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()


# ---- for the destruction (Art. 35): under its authority and audit --------------------------------------------
def scan(
    session: Session, settings: Settings
) -> Iterator[tuple[str, str, pl.DataFrame | None, list[int | None]]]:
    """Every side-store file as ``(code, part, rows, destroyed)``: the readable rows with each row's ``_subject``
    (``None`` when no key of the ring opens the file) and the row numbers of rows whose person's key is
    destroyed — not in ``rows``, so a rewrite drops their unreadable seal too."""
    from cryptography.exceptions import InvalidTag

    from edudata.errors import EduDataError

    root = directory(settings) / "batches"
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []
    for folder in folders:
        for part in sorted(p.name.removesuffix(".parquet.enc") for p in folder.glob("*.parquet.enc")):
            try:
                frame, destroyed = _open_file(session, settings, folder.name, part, keep_subject=True)
            except (InvalidTag, EduDataError):
                yield folder.name, part, None, []
                continue
            yield folder.name, part, frame, destroyed


def rewrite(session: Session, settings: Settings, code: str, part: str, frame: pl.DataFrame) -> None:
    """Replace a side-store file by ``frame`` (the destruction's rewrite without a person)."""
    write_frame(session, settings, code, part, frame)
