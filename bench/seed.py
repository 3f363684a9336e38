"""Seed a benchmark's governed data the way the demo school collects it (docs/data-path.md, *One write path*).

The producer unit's data officer submits the synthetic table as one batch, the Art. 51 paperwork filed first
(assessment, collective decision, each person's consent), the unit's reviewer and then the office approve it
(Art. 4(1), 22): ``edudata.demo.collection.collect``, the demo loader's own path. The four accounts are made on
first use, one role each (separation of duties, Art. 30).
"""

from __future__ import annotations

import polars as pl

OFFICE, DPO = "bench_office", "bench_dpo"


def _account(session, username: str, role: str, unit: str) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from edudata.org.models import Account
    from edudata.org.service import create_account

    if session.scalar(select(Account.id).where(Account.username == username)) is None:
        create_account(session, username=username, password="Bench-Passw0rd!", unit_code=unit, roles=(role,))


def collect(db, settings, dataset: str, frame: pl.DataFrame, unit: str) -> dict[str, int]:  # noqa: ANN001
    """``frame`` (typed columns; those the dataset does not have are left out) collected for ``unit``."""
    from edudata.access import datapath
    from edudata.demo.collection import collect as demo_collect

    officer, reviewer = f"bench_officer_{unit}", f"bench_reviewer_{unit}"
    with db.session() as s:
        for username, role, at in (
            (officer, "unit_data_officer", unit), (reviewer, "unit_reviewer", unit),
            (OFFICE, "office_admin", "0002"), (DPO, "data_protection_officer", "0002"),
        ):  # fmt: skip
            _account(s, username, role, at)
        codes = datapath.element_codes(datapath.Context(session=s, settings=settings, database=db), dataset)
        s.commit()
    frame = frame.select([c for c in frame.columns if c in codes])
    return demo_collect(
        db, settings, dataset, frame, officer=officer, reviewer=reviewer, office=OFFICE, dpo=DPO
    )
