"""Child servers the tests start (CAS, OIDC provider, slapd): ended politely, then for sure."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen | None) -> None:
    """Terminate ``process`` if it still runs; kill it when it has not gone within ten seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
