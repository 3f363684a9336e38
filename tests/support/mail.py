"""A local SMTP catcher (aiosmtpd) for the tests of every domain that sends mail through ``edudata.mail``."""

from __future__ import annotations

import socket
import threading
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
    policy or quota failure.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refusing = False
        self.arrived = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd hook
        if self.refusing:
            return "554 5.7.1 message refused by policy"
        with self.arrived:
            raw = envelope.original_content or envelope.content
            self.messages.append(message_from_bytes(raw, policy=policy.default))  # headers decoded
            self.arrived.notify_all()
        return "250 OK"

    def reset(self) -> None:
        with self.arrived:
            self.messages.clear()
        self.refusing = False

    def to(self, address: str) -> list[Message]:
        """Messages received for ``address``, oldest first."""
        with self.arrived:
            return [m for m in self.messages if m["To"] == address]

    def recipients(self) -> list[str]:
        with self.arrived:
            return sorted(m["To"] for m in self.messages)

    def wait_for(self, to: str, timeout: float = 10) -> Message:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: any(m["To"] == to for m in self.messages), timeout)
        assert ok, f"no mail to {to}"
        return next(m for m in reversed(self.messages) if m["To"] == to)
