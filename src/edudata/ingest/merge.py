"""Merge semantics of an update batch (Art. 20-22, 51): nothing stored is lost by what a file does not say.

- A column absent from the file leaves the stored value of every row as it is.
- An empty cell, or a value a rule dropped (a sensitive value collected without its assessment, Art. 51),
  leaves the stored value as it is too: absence is not a statement that the value is gone.
- Clearing a stored value is an explicit act: the officer types the marker ``[清空]`` (also ``【清空】``,
  ``<清空>``, ``[clear]``) in the cell. A required element cannot be cleared (the row is quarantined). Cleared
  values are counted in the batch report, named in the version diff and in the load's audit record.
"""

from __future__ import annotations

import polars as pl

CLEAR = "[清空]"
CLEAR_PATTERN = r"(?i)^[\s\u3000]*[\[【［<＜〈]\s*(?:清空|clear)\s*[\]】］>＞〉][\s\u3000]*$"


def may_clear(value: pl.Expr) -> pl.Expr:
    """A cheap first look (one Aho-Corasick pass): could any cell of the column be the marker?"""
    return value.cast(pl.String).str.contains_any(["清空", "clear"], ascii_case_insensitive=True).any()


def is_clear(value: pl.Expr) -> pl.Expr:
    """True where the cell holds the clearing marker (any of its spellings)."""
    return value.cast(pl.String).str.contains(CLEAR_PATTERN).fill_null(False)


def clear_column(element: str) -> str:
    return f"_clear|{element}"


def split_cleared(frame: pl.DataFrame, key: str) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """The staged good rows without the marker (null in its place), and element → keys it clears."""
    cleared: dict[str, list[str]] = {}
    fixes = []
    for name, dtype in frame.schema.items():
        if dtype != pl.String or name == key:
            continue
        marked = frame.get_column(name) == CLEAR
        if marked.any():
            cleared[name] = frame.filter(marked).get_column(key).cast(pl.String).to_list()
            fixes.append(pl.when(pl.col(name) == CLEAR).then(None).otherwise(pl.col(name)).alias(name))
    return (frame.with_columns(fixes) if fixes else frame), cleared
