"""An ingest killed with SIGKILL leaves no clear upload on disk (Art. 27-28, 35): the CLI killed while it checks a
file, and `edudata serve` killed mid-stream, half the file sent (no clear spool file held open on the way). What they leave is sealed under a key that died with
the process, only its owner may read it, and the next start removes it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from ingest_support import csv_bytes, student_frame

from edudata.config import Settings

ROWS = 60_000  # enough that checking takes seconds on a loaded machine, so the kill lands mid-way


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "EDUDATA_DATABASE_URL": settings.resolved_database_url(),
        "EDUDATA_DATA_DIR": str(settings.data_dir),
        "EDUDATA_MASTER_KEY_FILE": str(settings.resolved_master_key_file()),
        "EDUDATA_CONFIG_FILE": "/nonexistent",
        "COLUMNS": "200",
    }


def _edudata() -> str:
    return str(Path(sys.executable).with_name("edudata"))


def _incoming(settings: Settings) -> Path:
    return Path(settings.data_dir) / "ingest" / "incoming"


def _wait_for_upload(settings: Settings, proc: subprocess.Popen, timeout: float = 240) -> list[Path]:
    deadline = time.monotonic() + timeout
    while True:
        found = (
            [p for p in _incoming(settings).glob("*") if p.is_file()] if _incoming(settings).exists() else []
        )
        if found:
            return found
        assert proc.poll() is None, "the process ended before the upload reached the disk"
        assert time.monotonic() < deadline, "no upload appeared in the incoming folder"
        time.sleep(0.02)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(20)


def _assert_sealed(left: list[Path], data: bytes, frame) -> None:  # noqa: ANN001 - a polars frame
    """Whatever the killed process left holds none of the file's values and is readable by its owner only."""
    needles = [frame["SFZJH"][0], frame["SFZJH"][ROWS // 2], frame["YHKH"][1], frame["SJHM"][2], "SFZJH"]
    for path in left:
        if not path.exists():
            continue
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)
        blob = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in blob, f"{needle} in clear in {path.name}"
        assert data[:4096] not in blob


def test_a_killed_cli_ingest_leaves_no_clear_upload(world, settings: Settings, tmp_path) -> None:  # noqa: ANN001
    frame = student_frame(ROWS, seed=17)
    data = csv_bytes(frame)
    source = tmp_path / "学生.csv"
    source.write_bytes(data)
    args = [_edudata(), "ingest", str(source), "--dataset", "student_basic", "--unit", "0104", "--as", "xgb"]
    proc = subprocess.Popen(args, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        left = _wait_for_upload(settings, proc)
        _kill(proc)
    finally:
        if proc.poll() is None:
            _kill(proc)
    _assert_sealed(left, data, frame)
    # The next run (here: a small, valid file) sweeps what the killed one left, then removes its own upload.
    small = tmp_path / "small.csv"
    small.write_bytes(csv_bytes(student_frame(5, seed=3)))
    done = subprocess.run(
        [*args[:2], str(small), *args[3:]], env=_env(settings), capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in _incoming(settings).iterdir()] == []


def _serve(settings: Settings, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [_edudata(), "serve", "--port", str(port)], env=_env(settings), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 180  # a loaded machine starts the app slowly
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
            return server
        except httpx.HTTPError:
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


def _open_files(pid: int) -> list[bytes]:
    """The bytes of every regular file the process (and its children) holds open: a clear spool would be one."""
    pids, found = [pid], []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            pids += [int(c) for c in (task / "children").read_text().split()]
    for p in pids:
        for fd in Path(f"/proc/{p}/fd").iterdir():
            with contextlib.suppress(OSError):
                if stat.S_ISREG(fd.stat().st_mode):
                    found.append(fd.read_bytes())
    return found


def test_a_server_killed_mid_upload_leaves_no_clear_upload(world, settings: Settings) -> None:  # noqa: ANN001
    """The request is still streaming when the server dies: half the file sent, the rest held back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    frame = student_frame(ROWS, seed=18)
    data = csv_bytes(frame, encoding="gbk", chinese=True)
    assert len(data) > 6 * 1024 * 1024
    boundary = "edudata-kill-test"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="unit"\r\n\r\n0104\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="students.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    half = len(data) // 2
    planted = [frame["SFZJH"][0], frame["SFZJH"][100], frame["YHKH"][1], frame["SJHM"][2]]
    assert all(n.encode() in data[:half] for n in planted)  # sent before the kill
    killed = threading.Event()

    def body():  # noqa: ANN202 - the request body, cut off mid-stream
        yield head
        for start in range(0, half, 64 * 1024):
            yield data[start : min(start + 64 * 1024, half)]
        killed.wait(120)  # the rest never comes

    def upload() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/ingest/student_basic/batches", content=body(),
                headers={**world["h"]["xgb"], "content-type": f"multipart/form-data; boundary={boundary}"},
                timeout=300,
            )  # fmt: skip

    server = _serve(settings, port)
    sender = threading.Thread(target=upload, daemon=True)
    sender.start()
    try:
        # Until the server has taken in two sealed chunks at least, and while it streams, no file it holds open
        # has the people in clear (Starlette's own spool would be such a file).
        deadline = time.monotonic() + 240
        while True:
            for blob in _open_files(server.pid):
                for needle in planted:
                    assert needle.encode() not in blob, f"{needle} in clear in a file the server holds open"
            left = (
                [p for p in _incoming(settings).glob("*") if p.is_file()]
                if _incoming(settings).exists()
                else []
            )
            if left and sum(p.stat().st_size for p in left) >= 2 * 1024 * 1024:
                break
            assert server.poll() is None and time.monotonic() < deadline, "the upload did not reach the disk"
            time.sleep(0.05)
        _kill(server)
    finally:
        killed.set()
        if server.poll() is None:
            _kill(server)
    sender.join(30)
    _assert_sealed(left, data, frame)
    assert frame["XM"][0].encode("gbk") not in b"".join(p.read_bytes() for p in left if p.exists())
    server = _serve(settings, port)  # a restart sweeps the folder before it serves
    try:
        assert [p.name for p in _incoming(settings).iterdir()] == []
    finally:
        server.terminate()
        server.wait(20)
