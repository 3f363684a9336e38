"""A local SMTP catcher (aiosmtpd) for the tests of every domain that sends mail through ``edudata.mail``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Catcher:
    """An SMTP server on a loopback port that keeps every message it receives.

    With ``refusing`` set it answers every message with 554 (a relay that refuses), as a real relay would for a
    policy or quota failure. Mail leaves the platform through its outbox, sent by the worker: a test sets
    ``drain`` to the worker's real sending step, and every look at what arrived runs it first.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refusing = False
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.drain: Callable[[], object] | None = None

    def _drained(self) -> None:
        if self.drain is not None:
            self.drain()

    def sent(self) -> list[Message]:
        """Every message received so far (after the outbox was drained)."""
        self._drained()
        with self.arrived:
            return list(self.messages)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd hook
        if self.refusing:
            return "554 5.7.1 message refused by policy"
        with self.arrived:
            raw = envelope.original_content or envelope.content
            self.messages.append(message_from_bytes(raw, policy=policy.default))  # headers decoded
            self.arrived.notify_all()
        return "250 OK"

    def reset(self) -> None:
        """Forget what was sent so far (what the outbox held is sent first, so it cannot arrive later)."""
        self.refusing = False
        self._drained()
        with self.arrived:
            self.messages.clear()
        self.refusing = False

    def to(self, address: str) -> list[Message]:
        """Messages received for ``address``, oldest first."""
        self._drained()
        with self.arrived:
            return [m for m in self.messages if m["To"] == address]

    def recipients(self) -> list[str]:
        self._drained()
        with self.arrived:
            return sorted(m["To"] for m in self.messages)

    def wait_for(self, to: str, timeout: float = 10) -> Message:
        self._drained()
        with self.arrived:
            ok = self.arrived.wait_for(lambda: any(m["To"] == to for m in self.messages), timeout)
        assert ok, f"no mail to {to}"
        return next(m for m in reversed(self.messages) if m["To"] == to)
