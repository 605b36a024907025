"""A real SMTP server on loopback (aiosmtpd) for tests and benchmarks.

`Recorder` keeps every accepted message; `Scripted` answers DATA from a script of
replies (e.g. "421" once, then "250"), or pauses before accepting (a slow server).
"""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Recorder:
    """Accepts everything; `messages` are parsed with the email package (modern policy)."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    discard: bool = False
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, envelope: Any) -> str:
        """Record one message and answer 250."""
        with self.lock:
            self.count += 1
            if not self.discard:
                raw = envelope.content
                msg = email.message_from_bytes(raw, policy=policy.default)
                assert isinstance(msg, EmailMessage)
                self.messages.append(msg)
                self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook: the message is complete."""
        return self.accept(envelope)


@dataclass
class Scripted(Recorder):
    """Answers DATA with the next scripted reply ("250" accepts), then 250 for the rest.

    `rcpt_delay` pauses before accepting each recipient (a slow server), which lets a
    test kill a sender at a point where no message is half-transmitted.
    """

    replies: list[str] = field(default_factory=list)
    rcpt_delay: float = 0.0
    in_rcpt: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        """aiosmtpd hook: a recipient; optionally slow."""
        self.in_rcpt += 1
        if self.rcpt_delay:
            time.sleep(self.rcpt_delay)  # blocks the server loop: one client at a time
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Answer from the script; only a 250 records the message."""
        reply = self.replies.pop(0) if self.replies else "250"
        if not reply.startswith("250"):
            return reply
        return self.accept(envelope)


@contextmanager
def smtp_server(handler: Recorder, *, smtputf8: bool = False) -> Iterator[int]:
    """Run `handler` on a loopback port for the duration (offering SMTPUTF8 if asked);
    yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
