"""Cached policy inputs (dataset specs, grants) keyed on the policy epoch (Art. 30; decisions must be fast).

Any flush that adds, changes or deletes a catalogue entry or a grant raises the epoch in the same transaction,
so a cached decision input can never outlive the change that invalidates it — on this server or any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from edudata import cache
from edudata.access.models import AccessGrant, PolicyEpoch

# Model classes whose changes alter decisions; other domains add theirs with :func:`watch`.
_WATCHED: set[type] = {AccessGrant}
_cache: dict[tuple[str, int, str], Any] = {}


def watch(*models: type) -> None:
    _WATCHED.update(models)


def current_epoch(session: Session) -> int:
    value = session.execute(select(PolicyEpoch.value).where(PolicyEpoch.id == 1)).scalar_one_or_none()
    return int(value or 0)


def bump_epoch(session: Session) -> None:
    session.execute(update(PolicyEpoch).where(PolicyEpoch.id == 1).values(value=PolicyEpoch.value + 1))


def cached(session: Session, kind: str, key: str, load: Callable[[], Any]) -> Any:
    epoch = session.info.get("edudata.policy_epoch")
    if epoch is None:
        epoch = session.info["edudata.policy_epoch"] = current_epoch(session)
    slot = (kind, epoch, key + "@" + str(session.get_bind().url))
    if slot not in _cache:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[slot] = load()
    return _cache[slot]


@event.listens_for(Session, "before_flush")
def _bump_on_policy_change(session: Session, _ctx, _instances) -> None:  # noqa: ANN001
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, tuple(_WATCHED)) for obj in changed):
        bump_epoch(session)
        session.info.pop("edudata.policy_epoch", None)


@event.listens_for(Session, "after_commit")
def _forget_epoch(session: Session) -> None:
    session.info.pop("edudata.policy_epoch", None)


@event.listens_for(Session, "after_rollback")
def _forget_epoch_rb(session: Session) -> None:
    session.info.pop("edudata.policy_epoch", None)


cache.register(_cache.clear)
