"""``edudata worker``: one process per deployment runs the schedule (:mod:`edudata.worker.schedule`).

Election: on PostgreSQL the worker holds the session-level advisory lock :data:`LOCK_KEY` on a connection of its
own for as long as it runs; a second worker started beside it waits as a standby and takes over within
``poll`` seconds of the first one's death (PostgreSQL releases the lock with the connection). On SQLite the
deployment is one host and one worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import text

from edudata.config import Settings
from edudata.db import Database
from edudata.worker.schedule import ensure_schedule, run_due

log = logging.getLogger("edudata.worker")
LOCK_KEY = 0x65647764_776B7231 & 0x7FFFFFFFFFFFFFFF  # "edwdwkr1": the worker's election


class WorkerProcess:
    def __init__(self, database: Database, settings: Settings, poll: float = 1.0) -> None:
        self.database, self.settings, self.poll = database, settings, poll
        self.stop_event = threading.Event()
        self._lock_conn = None

    def elect(self) -> bool:
        """Become the deployment's worker (True), or stay standby (False)."""
        if self.database.is_sqlite:
            return True
        if self._lock_conn is None:
            self._lock_conn = self.database.engine.connect()
        got = self._lock_conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        self._lock_conn.commit()
        return bool(got)

    def release(self) -> None:
        if self._lock_conn is not None:
            try:
                self._lock_conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._lock_conn.invalidate()  # out of the pool: the session ends, and any lock with it
            finally:
                self._lock_conn = None

    def run(self, *, rounds: int | None = None, on_round: Callable[[list[str]], None] | None = None) -> int:
        """Work until stopped (or ``rounds`` rounds as the elected worker); how many rounds ran."""
        with self.database.session() as session:
            ensure_schedule(session)
            session.commit()
        done = 0
        try:
            while not self.stop_event.is_set() and (rounds is None or done < rounds):
                if not self.elect():
                    if rounds is not None:  # `--once` beside the elected worker: nothing to do
                        break
                    self.stop_event.wait(self.poll)
                    continue
                ran = run_due(self.database, self.settings)
                done += 1
                if on_round is not None:
                    on_round(ran)
                if rounds is None or done < rounds:
                    self.stop_event.wait(self.poll)
        finally:
            self.release()
        return done
