"""Row filters as data, never as SQL text (最小必要: a grant's rows are a filter; a query narrows it further).

A filter is JSON::

    {"all": [{"element": "YXDM", "op": "eq", "value": "0201"}, {"element": "NJ", "op": "ge", "value": 2023}]}

with ``all`` / ``any`` / ``not`` and the operators below. It is parsed into a tree, checked against the elements
the caller may see (filtering on a hidden element would leak it), values are coerced to the element's type, and it
is compiled to bound SQLAlchemy expressions — so ``1=1; drop table`` is only ever a value that matches nothing.
Encrypted elements allow equality only, through their blind index.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, false, not_, or_, true
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.schema import Table

from edudata.errors import ValidationFailed
from edudata.store.spec import DatasetSpec, ElementSpec

OPS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "prefix", "is_null", "not_null"}
ORDERED_OPS = {"lt", "le", "gt", "ge"}
MAX_DEPTH = 5
MAX_CONDITIONS = 50
MAX_IN_VALUES = 1000
MAX_TEXT = 200
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

BlindIndexer = Callable[[ElementSpec, str], str]


@dataclass(frozen=True)
class Condition:
    element: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Group:
    kind: str  # all | any | not
    items: tuple[Condition | Group, ...]


Node = Condition | Group


def _bad(zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(f"筛选条件有误：{zh}", f"invalid filter: {en}", field="filter")


def parse(raw: str | Mapping[str, Any] | None) -> Node | None:
    """Parse a filter given as JSON text or an already-decoded mapping; ``None`` / empty means no filter."""
    if raw is None or raw == "" or raw == {}:
        return None
    if isinstance(raw, str):
        if len(raw) > 20_000:
            raise _bad("内容过长", "too long")
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _bad("不是合法的 JSON", "not valid JSON") from None
        except RecursionError:  # "[[[[…" deeper than the parser's stack: refused before any use
            raise _bad(f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH}") from None
    count = [0]
    return _parse_node(raw, 0, count)


def _parse_node(raw: Any, depth: int, count: list[int]) -> Node:
    if depth > MAX_DEPTH:
        raise _bad(f"嵌套超过 {MAX_DEPTH} 层", f"nested deeper than {MAX_DEPTH}")
    if not isinstance(raw, Mapping):
        raise _bad("每个条件必须是对象", "each condition must be an object")
    for kind in ("all", "any"):
        if kind in raw:
            items = raw[kind]
            if len(raw) != 1 or not isinstance(items, list) or not items:
                raise _bad(f"“{kind}”需要非空列表", f"'{kind}' needs a non-empty list")
            return Group(kind, tuple(_parse_node(i, depth + 1, count) for i in items))
    if "not" in raw:
        if len(raw) != 1:
            raise _bad("“not”只能单独使用", "'not' must stand alone")
        return Group("not", (_parse_node(raw["not"], depth + 1, count),))
    unknown = set(raw) - {"element", "op", "value"}
    if unknown or "element" not in raw or "op" not in raw:
        raise _bad("条件需要 element、op（和 value）", "a condition needs element, op (and value)")
    count[0] += 1
    if count[0] > MAX_CONDITIONS:
        raise _bad(f"条件超过 {MAX_CONDITIONS} 个", f"more than {MAX_CONDITIONS} conditions")
    element, op = raw["element"], raw["op"]
    if not isinstance(element, str) or op not in OPS:
        raise _bad(f"不支持的运算符 {str(op)[:20]}", f"unsupported operator {str(op)[:20]}")
    return Condition(element, op, raw.get("value"))


def elements_used(node: Node | None) -> set[str]:
    if node is None:
        return set()
    if isinstance(node, Condition):
        return {node.element}
    return set().union(*(elements_used(i) for i in node.items))


def to_json(node: Node | None) -> dict[str, Any] | None:
    if node is None:
        return None
    if isinstance(node, Condition):
        out: dict[str, Any] = {"element": node.element, "op": node.op}
        if node.op not in {"is_null", "not_null"}:
            out["value"] = (
                [_jsonable(v) for v in node.value] if isinstance(node.value, list) else _jsonable(node.value)
            )
        return out
    if node.kind == "not":
        return {"not": to_json(node.items[0])}
    return {node.kind: [to_json(i) for i in node.items]}


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _coerce(element: ElementSpec, value: Any) -> Any:
    t = element.data_type
    try:
        if t == "integer":
            if isinstance(value, bool):
                raise ValueError
            number = int(value)
            if not INT64_MIN <= number <= INT64_MAX:  # both databases store 64-bit integers
                raise ValueError
            return number
        if t == "decimal":
            return Decimal(str(value))
        if t == "date":
            return date.fromisoformat(str(value))
        if t == "boolean":
            if isinstance(value, bool):
                return value
            raise ValueError
    except (ValueError, InvalidOperation, TypeError):
        raise _bad(
            f"{element.name}（{element.code}）的取值类型不符",
            f"value for {element.code} does not fit its type {t}",
        ) from None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise _bad(f"{element.code} 的取值应为文本", f"value for {element.code} must be text")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise _bad(f"{element.code} 的取值过长", f"value for {element.code} is too long")
    return text


def compile_filter(
    node: Node | None,
    spec: DatasetSpec,
    table: Table,
    visible: frozenset[str] | set[str],
    blind_index: BlindIndexer,
) -> ColumnElement[bool]:
    """Bound SQL for ``node``; refuses elements outside ``visible`` and range operators on encrypted ones."""
    if node is None:
        return true()
    if isinstance(node, Group):
        parts = [compile_filter(i, spec, table, visible, blind_index) for i in node.items]
        if node.kind == "all":
            return and_(*parts)
        if node.kind == "any":
            return or_(*parts)
        return not_(parts[0])
    element = spec.element(node.element)
    if element is None or node.element not in visible:
        raise _bad(
            f"未知或无权使用的数据元素 {node.element[:40]}",
            f"unknown or not permitted element {node.element[:40]}",
        )
    if node.op in {"is_null", "not_null"}:
        col = table.c[element.column]
        return col.is_(None) if node.op == "is_null" else col.is_not(None)
    if node.op in {"in", "not_in"}:
        if not isinstance(node.value, list) or not node.value or len(node.value) > MAX_IN_VALUES:
            raise _bad(
                f"“{node.op}”需要 1 到 {MAX_IN_VALUES} 个取值",
                f"'{node.op}' needs 1 to {MAX_IN_VALUES} values",
            )
        values = [_coerce(element, v) for v in node.value]
    else:
        values = [_coerce(element, node.value)]
    if element.encrypted:
        if not element.blind_index or node.op not in {"eq", "ne", "in", "not_in"}:
            raise _bad(
                f"{element.name}（{element.code}）已加密存储，只支持等值查询",
                f"{element.code} is encrypted at rest; only equality lookups are possible",
            )
        col = table.c[element.index_column]
        values = [blind_index(element, str(v)) for v in values]
    else:
        col = table.c[element.column]
    v = values[0]
    match node.op:
        case "eq":
            return col == v
        case "ne":
            return or_(col != v, col.is_(None))
        case "lt":
            return col < v
        case "le":
            return col <= v
        case "gt":
            return col > v
        case "ge":
            return col >= v
        case "in":
            return col.in_(values)
        case "not_in":
            return or_(col.not_in(values), col.is_(None))
        case "prefix":
            if element.data_type in {"integer", "decimal", "date", "boolean"}:
                raise _bad(
                    f"{element.code} 不支持前缀匹配", f"prefix match is not possible on {element.code}"
                )
            escaped = str(v).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            return col.like(escaped + "%", escape="\\")
    return false()


def conjoin(*nodes: Node | None) -> Node | None:
    """AND of the non-empty filters: a grant's filter AND the caller's (the caller can only narrow)."""
    present = tuple(n for n in nodes if n is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else Group("all", present)
