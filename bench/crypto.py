"""Throughput of field encryption, blind indexes, per-person keys and master-key rotation (prints figures only).

    .venv/bin/python bench/crypto.py                       # embedded SQLite in a temporary directory
    .venv/bin/python bench/crypto.py --database-url postgresql://postgres@127.0.0.1:5432/edudata_bench

The PostgreSQL database must exist and may be empty; the run migrates it and leaves its keys there.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from edudata.config import Settings
from edudata.crypto.service import FieldCipher, dataset_purpose, element_aad, rotate_master_key
from edudata.db import Database
from edudata.migrate import upgrade


def _id_numbers(count: int) -> list[str]:
    """Short values shaped like 身份证件号 (18 characters)."""
    return [f"110105199{i % 100_000_000:08d}X" for i in range(count)]


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--data-keys", type=int, default=1_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="edudata-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    settings = Settings(database_url=url, data_dir=work, master_key_file=work / "keys" / "master.key")
    db = Database(url)
    values = _id_numbers(args.values)
    aad = element_aad("student_basic", "SFZJH")
    rows: list[tuple[str, str]] = []

    with db.session() as s:
        fc = FieldCipher(s, settings)
        fc.encrypt_values(dataset_purpose("student_basic"), ["warm-up"], aad)
        fc.blind_index("student_basic.SFZJH", "warm-up")
        s.commit()

        t = time.perf_counter()
        sealed = fc.encrypt_values(dataset_purpose("student_basic"), values, aad)
        enc = time.perf_counter() - t
        t = time.perf_counter()
        plain = fc.decrypt_values(sealed, aad)
        dec = time.perf_counter() - t
        assert plain == values
        rows.append((f"encrypt {args.values:,} ID numbers (AES-256-GCM, AAD)", _rate(args.values, enc)))
        rows.append((f"decrypt {args.values:,} ID numbers", _rate(args.values, dec)))
        rows.append(("encrypt + decrypt, round trip", _rate(args.values, enc + dec)))
        size = sum(len(c) for c in sealed) / len(sealed)
        rows.append(("stored size of an 18-character value", f"{size:.0f} bytes"))

        t = time.perf_counter()
        fc.blind_index_many("student_basic.SFZJH", values)
        rows.append(
            (f"blind index {args.values:,} values (HMAC-SHA256)", _rate(args.values, time.perf_counter() - t))
        )

        people = values[: args.people]
        t = time.perf_counter()
        refs = fc.subject_refs(people)
        per_person = fc.encrypt_for_subjects(refs, people, aad)
        s.commit()
        first = time.perf_counter() - t
        rows.append(
            (f"per-person keys: first {args.people:,} people (keys created)", _rate(args.people, first))
        )
        t = time.perf_counter()
        assert fc.decrypt_values(per_person, aad) == people
        rows.append(
            (f"per-person keys: decrypt {args.people:,} values", _rate(args.people, time.perf_counter() - t))
        )

        for i in range(args.data_keys):
            fc.keys.data_key(dataset_purpose(f"bench_{i:04d}"))
        s.commit()
        report = rotate_master_key(s, settings)
        s.commit()
        rows.append(
            (f"master-key rotation, {report.rewrapped:,} data keys re-wrapped", f"{report.seconds:.3f} s")
        )

    db.dispose()
    backend = db.engine.dialect.name
    print(f"crypto bench · {backend} · Python {platform.python_version()} · {platform.machine()}")
    print("| measure | figure |")
    print("|---|---|")
    for name, figure in rows:
        print(f"| {name} | {figure} |")


if __name__ == "__main__":
    main()
