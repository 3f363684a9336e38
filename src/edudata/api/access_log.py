"""The server's access log without query values (Art. 35: no personal value outside the governed store).

A search such as ``GET /api/v1/data/student_basic?filter={"element":"SJHM","op":"eq","value":"139…"}`` would
otherwise write the mobile number into ``edudata serve``'s log, a file no destruction reaches. The log keeps the
path and the parameter names (``?filter=…&page_size=…``): enough to trace a request by its time and request id
in the audit log, which records the filter with its values hashed (``edudata.audit.redact``).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

HIDDEN = "…"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")  # a parameter name, never a number typed in its place


def scrub(target: str) -> str:
    """``/path?a=1&b=2`` → ``/path?a=…&b=…``; a target without a query is returned as it was."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    names = [name if NAME.match(name) else HIDDEN for name, _ in parse_qsl(query, keep_blank_values=True)]
    if not names:
        return f"{path}?{HIDDEN}"
    return f"{path}?" + "&".join(f"{name}={HIDDEN}" for name in names)


class QueryScrubber(logging.Filter):
    """For uvicorn's access logger, whose arguments are (client, method, target, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], scrub(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's own logging configuration with the scrubber on the access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["scrub_query"] = {"()": QueryScrubber}
    config["handlers"]["access"].setdefault("filters", []).append("scrub_query")
    return config
