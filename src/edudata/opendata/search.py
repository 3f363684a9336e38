"""Chinese full-text search of the open catalogue (检索): character n-grams, portable to SQLite and PostgreSQL.

Chinese has no spaces, so words cannot be split on them. Each run of CJK characters is indexed as its single
characters and its bigrams (学生资助 → 学 生 资 助 学生 生资 资助); Latin letters and digits as lower-case words.
A query matches a view when every one of its bigrams (or its single character, for a one-character query)
and words is indexed for that view; title hits weigh more. The query is only ever a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from edudata.opendata.models import SearchGram

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9A-Za-z]+")
MAX_QUERY = 100
MAX_GRAMS = 40


def _runs(text: str) -> tuple[list[str], list[str]]:
    return _CJK.findall(text or ""), [w.lower()[:32] for w in _WORD.findall(text or "")]


def index_grams(text: str) -> set[str]:
    """Everything a text is found by: CJK characters and bigrams, and Latin words."""
    runs, words = _runs(text)
    grams = set(words)
    for run in runs:
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def query_grams(text: str) -> list[str]:
    """What a query must match: bigrams of each CJK run (its character when the run is one long), and words."""
    runs, words = _runs(text[:MAX_QUERY])
    grams: list[str] = []
    for run in runs:
        grams.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    grams.extend(words)
    return list(dict.fromkeys(grams))[:MAX_GRAMS]


def reindex(session: Session, view_id: int, title_texts: Iterable[str], body_texts: Iterable[str]) -> None:
    """Replace the view's grams: title grams weigh 3, the rest (description, keywords, elements) 1."""
    session.execute(delete(SearchGram).where(SearchGram.view_id == view_id))
    weights: dict[str, int] = {}
    for text in body_texts:
        for g in index_grams(text):
            weights[g] = max(weights.get(g, 0), 1)
    for text in title_texts:
        for g in index_grams(text):
            weights[g] = 3
    session.add_all(SearchGram(view_id=view_id, gram=g, weight=w) for g, w in weights.items())
    session.flush()


def unindex(session: Session, view_id: int) -> None:
    session.execute(delete(SearchGram).where(SearchGram.view_id == view_id))


def matching_view_ids(session: Session, text: str) -> list[int] | None:
    """Ids of the views matching ``text``, best first; ``None`` when the query has nothing to search by."""
    grams = query_grams(text)
    if not grams:
        return None
    score = func.sum(SearchGram.weight)
    rows = session.execute(
        select(SearchGram.view_id, score)
        .where(SearchGram.gram.in_(grams))
        .group_by(SearchGram.view_id)
        .having(func.count(SearchGram.gram) == len(grams))
        .order_by(score.desc(), SearchGram.view_id)
    ).all()
    return [r[0] for r in rows]
