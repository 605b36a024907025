"""Send mail over SMTP (plain, STARTTLS or implicit TLS) with retries that cannot duplicate.

Failures are sorted by what they mean for the message:

* TransientError — a 4xx reply: the server refused *this* message for now; retried here
  with exponential backoff, then left for a later run.
* PermanentError — a 5xx reply to RCPT or DATA: the recipient is refused; recorded.
* UncertainError — the connection broke or timed out after the message was transmitted
  but before the server answered: it may have been accepted, so it is never retried.
* MailerUnavailable — the server cannot be reached or refuses our login: the whole run
  stops, since every other message would fail the same way.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Callable
from email import policy
from email.message import Message
from email.utils import getaddresses

from dailypapers.config import Settings
from dailypapers.errors import DailyPapersError


class SendError(DailyPapersError):
    """A message was not (known to be) delivered; the text is safe to log (no addresses)."""


class TransientError(SendError):
    """The server deferred the message (4xx); try again later."""


class PermanentError(SendError):
    """The server rejected the recipient or message (5xx)."""


class UncertainError(SendError):
    """The outcome is unknown: the server may have accepted the message."""


class MailerUnavailable(SendError):
    """The SMTP server cannot be used at all right now (unreachable, login refused)."""


# Headers are not folded below the RFC 5322 hard limit: folding List-Unsubscribe at its
# colon confuses some parsers.
_WIRE = policy.compat32.clone(linesep="\r\n", max_line_length=998)
_WIRE_UTF8 = policy.SMTPUTF8.clone(max_line_length=998)
_CONNECTION_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


def _noop() -> None:
    return None


_ADDRESS = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")


def _reply_error(stage: str, code: int, reply: bytes | str) -> SendError:
    """The error for a refusal, with any address in the server's text masked (logs)."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    message = f"{stage}: {code} {_ADDRESS.sub('<address>', text)}".strip()
    return TransientError(message) if 400 <= code < 500 else PermanentError(message)


class Mailer:
    """One reused SMTP connection, throttled to SEND_RATE_PER_SECOND; reconnects on demand."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._settings = settings
        self._sleep = sleep
        self._smtp: smtplib.SMTP | None = None
        self._next_slot = 0.0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, msg: Message, *, before_data: Callable[[], None] = _noop) -> None:
        """Deliver `msg` to its To address; `before_data` runs just before transmission.

        Transient failures and lost connections before DATA are retried with backoff
        (SMTP_RETRY_SECONDS, doubling) up to SMTP_MAX_ATTEMPTS tries.
        """
        attempts = self._settings.smtp_max_attempts
        for attempt in range(1, attempts + 1):
            self._throttle()
            try:
                self._send_once(msg, before_data)
                return
            except (TransientError, MailerUnavailable):
                self.close()
                if attempt == attempts:
                    raise
            self._sleep(self._settings.smtp_retry_seconds * 2 ** (attempt - 1))

    def _throttle(self) -> None:
        rate = self._settings.send_rate_per_second
        if rate <= 0:
            return
        now = time.monotonic()
        if self._next_slot > now:
            self._sleep(self._next_slot - now)
        self._next_slot = max(now, self._next_slot) + 1 / rate

    def _send_once(self, msg: Message, before_data: Callable[[], None]) -> None:
        smtp = self._connection()
        sender, recipient = _envelope(msg)
        options = _utf8_options(smtp, sender, recipient)
        try:
            self._check("MAIL", smtp.mail(sender, options), smtp)
            self._check("RCPT", smtp.rcpt(recipient), smtp)
        except _CONNECTION_ERRORS as exc:
            raise MailerUnavailable(f"connection lost: {exc}") from None
        before_data()
        try:
            code, reply = smtp.data(msg.as_bytes(policy=_WIRE_UTF8 if options else _WIRE))
        except smtplib.SMTPDataError as exc:
            raise self._failed("DATA", exc.smtp_code, exc.smtp_error, smtp) from None
        except _CONNECTION_ERRORS as exc:
            self.close()
            raise UncertainError(f"connection lost during DATA: {exc}") from None
        if code != 250:
            raise self._failed("DATA", code, reply, smtp)

    def _check(self, stage: str, response: tuple[int, bytes], smtp: smtplib.SMTP) -> None:
        code, reply = response
        if not 200 <= code < 300:
            raise self._failed(stage, code, reply, smtp)

    def _failed(self, stage: str, code: int, reply: bytes | str, smtp: smtplib.SMTP) -> SendError:
        """The error for a refusal, leaving the connection reusable (or closed after 421)."""
        if code == 421:
            self.close()
        else:
            try:
                smtp.rset()
            except _CONNECTION_ERRORS:
                self.close()
        return _reply_error(stage, code, reply)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except smtplib.SMTPAuthenticationError as exc:
                raise MailerUnavailable(f"SMTP login refused: {exc.smtp_code}") from None
            except (*_CONNECTION_ERRORS, smtplib.SMTPException) as exc:
                raise MailerUnavailable(f"cannot reach the SMTP server: {exc}") from None
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        if s.smtp_security == "starttls":
            smtp.starttls(context=context)
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        smtp.ehlo_or_helo_if_needed()
        return smtp

    def close(self) -> None:
        """End the SMTP session politely if possible."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (*_CONNECTION_ERRORS, smtplib.SMTPException):
            smtp.close()


def _utf8_options(smtp: smtplib.SMTP, sender: str, recipient: str) -> list[str]:
    """["SMTPUTF8"] for a non-ASCII address when the server offers it (RFC 6531); a
    PermanentError when it does not, since no retry can change that."""
    if sender.isascii() and recipient.isascii():
        return []
    if smtp.has_extn("smtputf8"):
        return ["SMTPUTF8"]
    raise PermanentError("MAIL: the server does not offer SMTPUTF8 for a non-ASCII address")


def _envelope(msg: Message) -> tuple[str, str]:
    """The envelope sender and the single recipient, from the From and To headers."""
    (_, sender), *_ = getaddresses([str(msg["From"])])
    (_, recipient), *_ = getaddresses([str(msg["To"])])
    return sender, recipient
