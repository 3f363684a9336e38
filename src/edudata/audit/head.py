"""The log's head for reports (dashboard, inspection): positions given out and the purge anchor (Art. 59).

Kept as the name other domains import; the state itself lives in :mod:`edudata.audit.tree`.
"""

from __future__ import annotations

from edudata.audit.tree import TreeState, read_tree

Head = TreeState


def read_head(session):  # noqa: ANN001, ANN201 - a Session; a TreeState (``seq``, ``anchor_seq``)
    """The tree's state without locking: ``seq`` is the number of positions given out so far."""
    return read_tree(session)
