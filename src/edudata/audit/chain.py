"""The records' canonical encoding, in Python and in SQL: what the Merkle tree's leaves are made of.

A leaf is ``<position>\n<body>`` in UTF-8 (its hash SHA-256(0x00 ‖ leaf), RFC 9162), where position is the
record's place in the log (so a record moved elsewhere no longer matches its own hash) and body is the compact JSON array of every field
in a fixed order, each as a JSON string or ``null``: integers as their decimal text, ``at`` as UTC
``YYYY-MM-DD HH:MM:SS.ffffff``, ``elements`` and ``detail`` as their stored canonical JSON text. JSON quoting
makes the encoding unambiguous whatever the text holds.

The append builds the body once in Python and the record stores it (without ``seq``, which the database gives:
:func:`stored_body`, :func:`with_seq`); the searchable columns cannot disagree with it (:mod:`edudata.audit.models`),
so verification and the sequencer read one column and never rebuild it. The SQL encoders
(:func:`body_sql`) are what the migrations filled existing records' bodies with; tests check them against
Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

#: Field order of the body after ``seq`` and ``at``; changing it is a new chain format.
FIELDS = (
    "account_id",
    "username",
    "unit_code",
    "source_ip",
    "operation",
    "dataset",
    "elements",
    "row_count",
    "filter",
    "result",
    "request_id",
    "detail",
)
_INT_FIELDS = {"account_id", "row_count"}
AT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def format_at(at: datetime) -> str:
    """UTC to the microsecond, ``YYYY-MM-DD HH:MM:SS.ffffff``: one exact text per instant (naive means UTC).

    It is also how SQLAlchemy stores datetimes in SQLite, so SQLite verifies from the stored text as is.
    """
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime(AT_FORMAT)


def _compact_encoder(sort_keys: bool) -> Callable[[Any], str]:
    """``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without rebuilding the C encoder per call."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"), default=str)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return encoder.encode
    iterencode = make(
        None, encoder.default, json.encoder.encode_basestring, None, ":", ",", sort_keys, False, True
    )
    return lambda value: "".join(iterencode(value, 0))


_canonical = _compact_encoder(sort_keys=True)
_encode = _compact_encoder(sort_keys=False)
#: The compact encoders themselves, for the append's hot loop (:mod:`edudata.audit.service`): ``encode`` keeps
#: the order (a body), ``canonical_encoder`` sorts keys; neither cleans the text (:func:`valid_text`).
encode = _encode
canonical_encoder = _canonical


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the same value always gives the same text."""
    if not value:
        return (
            "[]"
            if isinstance(value, list | tuple)
            else "{}"
            if isinstance(value, dict)
            else _canonical(value)
        )
    return valid_text(_canonical(value))


def valid_text(text: str) -> str:
    """``text`` without NUL or lone surrogates, which PostgreSQL refuses and SQLite would keep differently."""
    if text.isascii() and "\x00" not in text:
        return text
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode()
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode()
    return text


def stored_body(at_text: str, values: Sequence[Any]) -> str:
    """What ``audit_record.body`` holds: the compact JSON array of ``at`` and :data:`FIELDS`, each a JSON string
    or ``null`` (``values`` in :data:`FIELDS` order, as stored, JSON fields as their canonical text)."""
    account_id, *middle, row_count, filter_, result, request_id, detail = values
    return _encode(
        (
            at_text,
            None if account_id is None else str(account_id),
            *middle,
            None if row_count is None else str(row_count),
            filter_,
            result,
            request_id,
            detail,
        )
    )


def with_seq(seq: int, stored: str) -> str:
    """The canonical body of record ``seq`` from its stored body: ``seq`` as the array's first string.

    ``seq`` is not stored in the body because the database gives it at the insert (and a restore's new epoch
    renumbers pending records); it is still hashed, so a record cannot take another's number unnoticed."""
    return f'["{seq}",{stored[1:]}'


def body(seq: int, at_text: str, values: Sequence[Any]) -> str:
    """The canonical body of one record; ``values`` are :data:`FIELDS` in order, as stored (JSON as text)."""
    return with_seq(seq, stored_body(at_text, values))


def link(prev_hash: str, body_text: str) -> str:
    """The legacy hash chain's link (records made before the Merkle tree; the migration checks them once)."""
    return hashlib.sha256((prev_hash + body_text).encode()).hexdigest()


def leaf_data(position: int, body_text: str) -> bytes:
    """The bytes a record contributes to the tree at ``position`` (``body_text`` with its ``seq``)."""
    return f"{position}\n{body_text}".encode()


#: Index of each field in the stored body (0 is ``at``).
POSITIONS = {name: i for i, name in enumerate(("at", *FIELDS))}


def body_sql(dialect: str, *, seq: bool = True) -> str:
    """SQL computing :func:`body` (``seq=False``: :func:`stored_body`) from the record's fields as separate
    columns on ``dialect``, as ``audit_record`` held them before the body was stored (the migrations use it).

    SQLite's ``json_array`` and PostgreSQL's ``array_to_json`` write strings exactly as Python's ``json`` does
    with ``ensure_ascii=False`` (short escapes for \\b \\f \\n \\r \\t, ``\\u00xx`` for other control
    characters, everything else as is), and one native call per row is several times cheaper than building the
    text with ``||``. The tests feed awkward characters to all three encoders to keep them in step.
    """
    names = ("seq", "at", *FIELDS) if seq else ("at", *FIELDS)
    if dialect == "postgresql":
        at = """to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"""
        args = [at if n == "at" else f'CAST("{n}" AS TEXT)' for n in names]
        return f"array_to_json(ARRAY[{', '.join(args)}])::text"
    if dialect == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here): the canonical text.
        args = [f'CAST("{n}" AS TEXT)' if n in _INT_FIELDS or n == "seq" else f'"{n}"' for n in names]
        return f"json_array({', '.join(args)})"
    raise NotImplementedError(dialect)  # pragma: no cover - only the two supported databases
