"""CKAN's search syntax — Solr's standard (Lucene) query parser — over the open catalogue (Art. 45 可机读).

CKAN hands ``fq`` (and a ``q`` containing ``:``) to Solr's standard parser with ``q.op=AND``; harvesters and
clients send exactly that syntax (``organization:0106 tags:"论文"``, ``metadata_modified:[2026-01-01T00:00:00Z TO
*]``, ``-organization:0103``, ``res_format:(CSV OR JSON)``). The catalogue is small (one document per published
view), so instead of running Solr the query is parsed here and evaluated in Python against those documents.

Clause semantics are Lucene's, so a query means what it means on CKAN: with the default operator AND every clause
is required unless an ``OR`` touches it (``a OR b c`` requires ``c`` only — Lucene's rule, not precedence); ``-``,
``!`` and ``NOT`` exclude; a group of only exclusions means "everything except". Values are only ever compared
with document values: nothing of the query reaches SQL.

Field kinds: ``string`` (exact, ``*``/``?`` wildcards, lexicographic ranges), ``text`` (Chinese n-grams as the
portal's search: every bigram of the term must occur; a quoted phrase must occur as written), ``date`` (ISO 8601,
``NOW`` and date math such as ``NOW-7DAYS`` or ``NOW/DAY``) and ``int``.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from edudata.clock import utcnow
from edudata.errors import EduDataError
from edudata.opendata.search import index_grams, query_grams

MAX_QUERY = 2000
MAX_DEPTH = 20


class SearchError(EduDataError):
    """CKAN's ``Search Error`` (409): the query could not be run (an unknown field, a bad date …)."""

    status, code, title_zh, title_en = 409, "search-error", "检索条件有误", "Search error"


class SearchQueryError(EduDataError):
    """CKAN's ``Search Query Error`` (400): a bad ``sort`` or search parameter."""

    status, code, title_zh, title_en = 400, "search-query-error", "检索参数有误", "Search query error"


@dataclass
class Term:
    field: str
    op: str  # term | phrase | wildcard | range | exists | all
    value: str = ""
    lo: str | None = None
    hi: str | None = None
    lo_incl: bool = True
    hi_incl: bool = True


@dataclass
class Bool:
    clauses: list[tuple[str, Any]] = field(default_factory=list)  # (must | should | not, node)


_SPECIAL = set(' \t\r\n()[]{}"')
_DATE_UNITS = {
    "YEAR": "years", "YEARS": "years", "MONTH": "months", "MONTHS": "months", "DAY": "days", "DAYS": "days",
    "DATE": "days", "HOUR": "hours", "HOURS": "hours", "MINUTE": "minutes", "MINUTES": "minutes",
    "SECOND": "seconds", "SECONDS": "seconds", "MILLI": "ms", "MILLIS": "ms", "MILLISECOND": "ms",
    "MILLISECONDS": "ms",
}  # fmt: skip


def _bad(zh: str, en: str) -> SearchError:
    return SearchError(f"检索条件无法解析：{zh}", f"the search query could not be parsed: {en}", field="fq")


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: ( ) phrase range word op mod."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, c))
            i += 1
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise _bad("引号未闭合", "unterminated quotation mark")
            out.append(("phrase", "".join(buf)))
            i = j + 1
        elif c in "[{":
            j = i + 1
            while j < n and text[j] not in "]}":
                j += 1
            if j >= n:
                raise _bad("范围缺少 ] 或 }", "a range lacks its closing ] or }")
            out.append(("range", text[i : j + 1]))
            i = j + 1
        elif c in "+-!" and i + 1 < n and not text[i + 1].isspace():
            out.append(("mod", "-" if c in "-!" else "+"))
            i += 1
        elif text.startswith("&&", i) or text.startswith("||", i):
            out.append(("op", "AND" if c == "&" else "OR"))
            i += 2
        else:
            j, buf = i, []
            while j < n and text[j] not in _SPECIAL:
                if text[j] == "\\" and j + 1 < n:
                    buf.append("\\" + text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
                if buf[-1] == ":":
                    break  # a field name: its value is the next token
            word = "".join(buf)
            if word in ("AND", "OR", "NOT"):
                out.append(("op", word) if word != "NOT" else ("mod", "-"))
            else:
                out.append(("word", word))
            i = j
    return out


def _unescape(word: str) -> str:
    return re.sub(r"\\(.)", r"\1", word)


def _boostless(word: str) -> str:
    """``term^2`` and ``term~1``: boosts and fuzziness change scores, not which documents match."""
    return re.sub(r"(?<!\\)[\^~][0-9.]*$", "", word)


class _Parser:
    def __init__(self, text: str, fields: Mapping[str, str], default_field: str) -> None:
        self.toks, self.pos, self.fields, self.default = _tokens(text), 0, fields, default_field

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def query(self, fld: str | None, depth: int = 0) -> Bool:
        if depth > MAX_DEPTH:
            raise _bad("括号嵌套过深", "parentheses nested too deeply")
        clauses: list[list[Any]] = []
        while (tok := self.peek()) is not None and tok[0] != ")":
            conj = None
            if tok[0] == "op":
                conj = self.take()[1]
                tok = self.peek()
                if tok is None or tok[0] == ")":
                    raise _bad(f"{conj} 后缺少条件", f"nothing after {conj}")
            mod = self.take()[1] if tok[0] == "mod" else None
            node = self.clause(fld, depth)
            # Lucene's QueryParserBase.addClause with the default operator AND.
            if clauses and conj == "AND" and clauses[-1][0] != "not":
                clauses[-1][0] = "must"
            if clauses and conj == "OR" and clauses[-1][0] != "not":
                clauses[-1][0] = "should"
            occur = "not" if mod == "-" else ("should" if conj == "OR" else "must")
            clauses.append([occur, node])
        return Bool([(o, q) for o, q in clauses])

    def clause(self, fld: str | None, depth: int) -> Any:
        if self.peek() is None:
            raise _bad("条件不完整", "an incomplete clause")
        kind, text = self.take()
        if kind == "word" and text.endswith(":") and not text.endswith("\\:"):
            name = _unescape(text[:-1])
            if self.peek() is None or self.peek()[0] in (")", "op"):
                raise _bad(f"字段 {name} 缺少取值", f"field {name} has no value")
            if name != "*" and name not in self.fields:
                raise SearchError(
                    f"检索条件中没有字段 {name[:40]}（可用：{', '.join(sorted(self.fields))}）",
                    f"undefined field {name[:40]} (fields: {', '.join(sorted(self.fields))})",
                    field="fq",
                )
            return self.clause(name, depth)
        target = fld or self.default
        if kind == "(":
            inner = self.query(target, depth + 1)
            if self.peek() is None:
                raise _bad("括号未闭合", "an unclosed parenthesis")
            self.take()
            if (
                (nxt := self.peek()) is not None
                and nxt[0] == "word"
                and re.fullmatch(r"[\^~][0-9.]*", nxt[1])
            ):
                self.take()
            return inner
        if kind == ")":
            raise _bad("多余的 )", "an unexpected )")
        if kind == "phrase":
            return Term(target, "phrase", text)
        if kind == "range":
            return self.range(target, text)
        if kind == "mod":
            raise _bad("修饰符位置有误", "a misplaced + or -")
        word = _boostless(text)
        if target == "*" and word == "*":
            return Term("*", "all")
        if target == "*":
            raise _bad("只有 *:* 可以不指明字段", "only *:* may leave the field open")
        if word == "*":
            return Term(target, "exists")
        if re.search(r"(?<!\\)[*?]", word):
            return Term(target, "wildcard", word)
        return Term(target, "term", _unescape(word))

    def range(self, fld: str, text: str) -> Term:
        m = re.fullmatch(r'([\[{])\s*("[^"]*"|\S+)\s+TO\s+("[^"]*"|\S+)\s*([\]}])', text)
        if not m:
            raise _bad(f"范围 {text[:60]} 应为 [a TO b]", f"range {text[:60]} must read [a TO b]")

        def bound(raw: str) -> str | None:
            raw = raw[1:-1] if raw.startswith('"') else _unescape(raw)
            return None if raw == "*" else raw

        return Term(fld, "range", lo=bound(m.group(2)), hi=bound(m.group(3)), lo_incl=m.group(1) == "[",
                    hi_incl=m.group(4) == "]")  # fmt: skip


def parse(text: str, fields: Mapping[str, str], default_field: str = "text") -> Bool:
    """Parse ``text`` in Solr's standard syntax; :class:`SearchError` when it cannot be parsed."""
    if len(text) > MAX_QUERY:
        raise _bad(f"不超过 {MAX_QUERY} 字", f"at most {MAX_QUERY} characters")
    parser = _Parser(text, fields, default_field)
    node = parser.query(None)
    if parser.peek() is not None:
        raise _bad("多余的 )", "an unexpected )")
    return node


def parse_date(raw: str, now: datetime | None = None) -> datetime:
    """A Solr date: ISO 8601 (``2026-01-01T00:00:00Z``, fractions, offsets, a bare date) or ``NOW``, with date
    math (``NOW-7DAYS``, ``…/DAY``)."""
    now = now or utcnow()
    m = re.fullmatch(r"(NOW|[0-9][0-9T:.\-]*(?:Z|[+-]\d\d:?\d\d)?)((?:[+-]\d+[A-Z]+|/[A-Z]+)*)", raw.strip())
    if not m:
        raise SearchError(
            f"日期 {raw[:40]} 无法识别", f"invalid date {raw[:40]} (use ISO 8601 or NOW)", field="fq"
        )
    base = m.group(1)
    try:
        value = now if base == "NOW" else datetime.fromisoformat(base.replace("Z", "+00:00"))
    except ValueError:
        raise SearchError(f"日期 {raw[:40]} 无法识别", f"invalid date {raw[:40]}", field="fq") from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    for sign, amount, unit, rounding in re.findall(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)", m.group(2)):
        name = _DATE_UNITS.get(unit or rounding)
        if name is None:
            raise SearchError(
                f"日期单位 {unit or rounding} 无法识别", f"unknown date unit {unit or rounding}", field="fq"
            )
        if rounding:
            value = _round(value, name)
            continue
        n = int(amount) * (-1 if sign == "-" else 1)
        if name in ("years", "months"):
            months = value.month - 1 + n * (12 if name == "years" else 1)
            year, month = value.year + months // 12, months % 12 + 1
            value = value.replace(year=year, month=month, day=min(value.day, monthrange(year, month)[1]))
        else:
            value += timedelta(milliseconds=n) if name == "ms" else timedelta(**{name: n})
    return value


def _round(value: datetime, unit: str) -> datetime:
    parts = ["years", "months", "days", "hours", "minutes", "seconds"]
    keep = parts.index(unit) if unit in parts else len(parts)
    reset = {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0}
    names = ["month", "day", "hour", "minute", "second", "microsecond"]
    return value.replace(**{k: reset[k] for k in names[keep:]})


def _as_kind(kind: str, raw: str) -> Any:
    if kind == "date":
        return parse_date(raw)
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SearchError(f"{raw[:40]} 不是整数", f"{raw[:40]} is not an integer", field="fq") from None
    return raw


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\\.|[*?])", pattern)
    return re.compile(
        "".join(
            ".*" if p == "*" else "." if p == "?" else re.escape(p[1:] if p.startswith("\\") else p)
            for p in parts
        ),
        re.S,
    )


class Evaluator:
    """Evaluates parsed queries against documents: ``{field: value or list of values}``."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = fields
        self._grams: dict[tuple[int, str], set[str]] = {}

    def grams(self, doc: Mapping[str, Any], fld: str) -> set[str]:
        key = (id(doc), fld)
        if key not in self._grams:
            self._grams[key] = index_grams(" ".join(str(v) for v in _values(doc.get(fld))))
        return self._grams[key]

    def matches(self, node: Any, doc: Mapping[str, Any]) -> bool:
        if isinstance(node, Bool):
            must = [q for o, q in node.clauses if o == "must"]
            should = [q for o, q in node.clauses if o == "should"]
            nots = [q for o, q in node.clauses if o == "not"]
            if any(self.matches(q, doc) for q in nots):
                return False
            if must:
                return all(self.matches(q, doc) for q in must)
            if should:
                return any(self.matches(q, doc) for q in should)
            return bool(nots)  # only exclusions: everything else
        return self._term(node, doc)

    def _term(self, t: Term, doc: Mapping[str, Any]) -> bool:
        if t.op == "all":
            return True
        kind = self.fields[t.field]
        values = _values(doc.get(t.field))
        if t.op == "exists":
            return bool(values)
        if t.op == "range":
            lo = None if t.lo is None else _as_kind(kind, t.lo)
            hi = None if t.hi is None else _as_kind(kind, t.hi)
            return any(_within(v, lo, hi, t.lo_incl, t.hi_incl) for v in values if v is not None)
        if kind == "text":
            if t.op == "phrase":
                needle = t.value.lower()
                return any(needle in str(v).lower() for v in values)
            if t.op == "wildcard":
                stem = t.value.replace("*", " ").replace("?", " ")
                wanted = query_grams(stem)
                return bool(wanted) and set(wanted) <= self.grams(doc, t.field)
            wanted = query_grams(t.value)
            if not wanted:
                return any(t.value.lower() in str(v).lower() for v in values)
            return set(wanted) <= self.grams(doc, t.field)
        if t.op == "wildcard":
            rx = _wildcard(t.value)
            return any(rx.fullmatch(str(v)) for v in values)
        wanted = _as_kind(kind, t.value)
        return any(v == wanted for v in values)


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _within(v: Any, lo: Any, hi: Any, lo_incl: bool, hi_incl: bool) -> bool:
    if lo is not None and (v < lo or (v == lo and not lo_incl)):
        return False
    return not (hi is not None and (v > hi or (v == hi and not hi_incl)))


def parse_sort(raw: str, allowed: Mapping[str, Callable[[Any], Any]]) -> list[tuple[str, bool]]:
    """``"score desc, metadata_modified desc"`` → [(field, descending)]; CKAN's ``Invalid "sort" parameter``."""
    out = []
    for part in raw.split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0], (words[1].lower() if len(words) > 1 else "")
        if name not in allowed or len(words) != 2 or direction not in ("asc", "desc"):
            raise SearchQueryError(
                f"sort 参数无效：{part.strip()[:60]}（可用：{', '.join(sorted(allowed))}，方向 asc 或 desc）",
                f'Invalid "sort" parameter: {part.strip()[:60]} (fields: {", ".join(sorted(allowed))}; asc or desc)',
                field="sort",
            )
        out.append((name, direction == "desc"))
    if not out:
        raise SearchQueryError("sort 参数无效", 'Invalid "sort" parameter', field="sort")
    return out
