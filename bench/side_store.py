"""The side stores sealed per subject (staging files, snapshots): write and read N students (prints figures only).

    .venv/bin/python -P bench/side_store.py [--rows 100000] [--database-url postgresql://…/edudata_bench]

A staging file of ``--rows`` synthetic students (every value as text, plus ``_row``) is written through
``edudata.access.side_store.write_frame`` — each row serialised and sealed under its person's key (keys created
in bulk), then the file sealed under the staging key — twice (first with every person's key created, then with
the keys existing, as a second batch of the same people finds them), and read back whole. Then the same file
sealed under the staging key only (the format before per-subject sealing) for comparison. The PostgreSQL
database must exist and may be empty; the run migrates it and leaves its keys there.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import polars as pl  # noqa: E402

from edudata.access import side_store  # noqa: E402
from edudata.config import Settings  # noqa: E402
from edudata.crypto.envelope import FORMAT_DATA_KEY, NONCE, header  # noqa: E402
from edudata.crypto.keys import KeyManager  # noqa: E402
from edudata.db import Database  # noqa: E402
from edudata.migrate import upgrade  # noqa: E402
from edudata.synth.people import students  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edudata-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    upgrade(url)
    settings = Settings(database_url=url, data_dir=work, master_key_file=work / "keys" / "master.key")
    db = Database(url)
    frame = students(args.rows, seed=7)
    frame = frame.with_columns([pl.col(c).cast(pl.String) for c in frame.columns]).with_row_index("_row", 1)
    frame = frame.with_columns(pl.col("_row").cast(pl.Int64))
    print(
        f"{args.rows:,} students, {len(frame.columns) - 1} elements, {url.split(':', 1)[0]}, load {os.getloadavg()[0]:.1f}"
    )
    with db.session() as s:
        for label in ("write, every person's key created", "write, the keys existing"):
            t = time.perf_counter()
            path = side_store.write_frame(s, settings, "BENCH", "good", frame)
            s.commit()
            print(f"  {label}: {time.perf_counter() - t:.2f} s ({path.stat().st_size / 1e6:.1f} MB)")
        t = time.perf_counter()
        back, destroyed = side_store._open_file(s, settings, "BENCH", "good")
        print(f"  read back whole: {time.perf_counter() - t:.2f} s")
        assert back.height == frame.height and not destroyed
        t = time.perf_counter()
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd")
        dek = KeyManager(s, settings).active(side_store.PURPOSE)
        head, nonce = header(FORMAT_DATA_KEY, dek.id), os.urandom(NONCE)
        dek.aead.encrypt(nonce, buffer.getvalue(), head + b"BENCH/good")
        print(f"  the file under the staging key only (before): {time.perf_counter() - t:.2f} s")
    db.dispose()


if __name__ == "__main__":
    main()
