"""Row filters as the audit log keeps them: no personal value rests in the log (Art. 30, 35, 59).

The audit log is a Merkle tree: a record cannot be rewritten after it is sequenced, so a value written into it could
never be destroyed with its person. What is written is therefore the *shape* of a filter — element names and
operators in clear — and every value as a keyed hash (``h:`` + HMAC-SHA256 under the blind-index key, purpose
``audit-filter``, normalised like every blind index). The auditor still answers "who queried this person": the
platform hashes the ID number (or mobile, name …) the auditor supplies and searches the filters for that hash
(``GET /api/v1/audit/records?value=…``). One purpose for every element, so a value is found whichever element it
was filtered on; the hash is keyed, so even a short value (a birth year) cannot be guessed from the log alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from edudata.crypto.blind_index import blind_index_many
from edudata.crypto.keys import KeyManager

PURPOSE = "audit-filter"
PREFIX = "h:"
KEYS = frozenset({"element", "op", "value", "all", "any", "not"})  # a filter's own keys, kept in clear
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")  # element codes and operators; never a number or a name


def _clear(key: Any, value: Any) -> bool:
    """An element code or operator: the shape of a condition, kept in clear."""
    return key in ("element", "op") and isinstance(value, str) and NAME.match(value) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def value_hashes(keys: KeyManager, values: Iterable[Any]) -> list[str]:
    """The keyed hashes of values, as they appear in recorded filters (blank values have the hash ``h:``)."""
    return [PREFIX + (h or "") for h in blind_index_many(keys, PURPOSE, [_text(v) for v in values])]


def value_hash(keys: KeyManager, value: Any) -> str:
    return value_hashes(keys, [value])[0]


def _collect(node: Any, out: list[Any]) -> None:
    """Every value of a filter (anything but element names and operators), in walk order."""
    if isinstance(node, dict):
        for k, v in node.items():
            if _clear(k, v):
                continue
            if isinstance(v, dict | list) and k != "value":
                _collect(v, out)
            elif isinstance(v, list):
                out.extend(v)
            else:
                out.append(v)
    elif isinstance(node, list):
        for item in node:
            _collect(item, out)
    elif node is not None:
        out.append(node)


def _replace(node: Any, hashes: Iterable[str]) -> Any:
    it = iter(hashes)

    def walk(n: Any) -> Any:
        if isinstance(n, dict):
            done = {}
            for i, (k, v) in enumerate(n.items()):
                key = k if k in KEYS else f"?{i}"  # a stray key could be a value itself
                if _clear(k, v):
                    done[key] = v
                elif isinstance(v, dict | list) and k != "value":
                    done[key] = walk(v)
                elif isinstance(v, list):
                    done[key] = [next(it) for _ in v]
                else:
                    done[key] = next(it)
            return done
        if isinstance(n, list):
            return [walk(i) for i in n]
        return None if n is None else next(it)

    return walk(node)


def redact(keys: KeyManager, node: Any) -> Any:
    """A filter (its JSON form, or whatever a caller sent) with every value replaced by its keyed hash."""
    if isinstance(node, str | bytes):
        text = node.decode(errors="replace") if isinstance(node, bytes) else node
        try:
            node = json.loads(text)
        except ValueError:
            return value_hash(keys, text)  # not a filter at all: one hash of the whole text
    values: list[Any] = []
    _collect(node, values)
    return _replace(node, value_hashes(keys, values))


def recorded_filter(keys: KeyManager, node: Any) -> str | None:
    """The ``audit_record.filter`` text of a filter: its redacted JSON, or ``None`` for no filter."""
    if node is None or node == "":
        return None
    return json.dumps(redact(keys, node), ensure_ascii=False)[:4000]
