"""Email over SMTP: multipart/alternative (text + HTML), stdlib smtplib run in a worker thread.

Settings come from one URL (OTSWATCH_SMTP_URL): smtp://user:pass@host:port, smtps:// for
implicit TLS, ?starttls=1 to upgrade a plain connection. The password never appears in a
repr or an error. SMTP replies map to retryability the way mail servers mean them:
4xx try again later, 5xx do not.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qsl, unquote, urlsplit

from alerts.delivery.destinations.base import (
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    redact,
)
from alerts.delivery.destinations.registry import BuildContext, DestinationKind, destination_kind
from alerts.delivery.render import render_email
from alerts.delivery.types import Digest

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_URL_HINT = "expected smtp://user:pass@host:port, smtps://... or smtp://...?starttls=1"


def _flag(key: str, value: str) -> bool:
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"SMTP URL option {key!r} must be 1/0, true/false, yes/no or on/off")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to submit mail. `use_tls` = implicit TLS (smtps://, port 465);
    `starttls` = upgrade a plain connection (usually port 587)."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    starttls: bool = False
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("SMTP host is empty")
        if not 0 < self.port < 65536:
            raise ValueError(f"SMTP port {self.port} is outside 1-65535")
        if self.use_tls and self.starttls:
            raise ValueError("smtps:// already uses TLS; drop ?starttls=1 (or use smtp://)")
        if self.timeout <= 0:
            raise ValueError("SMTP timeout must be positive")
        if self.password and not self.username:
            raise ValueError("SMTP password given without a user name")

    def __repr__(self) -> str:
        password = "'***'" if self.password else "None"
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"password={password}, use_tls={self.use_tls}, starttls={self.starttls}, "
            f"timeout={self.timeout})"
        )

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Parse smtp://user:pass@host:port[?starttls=1&timeout=30] or smtps://...

        User and password are percent-decoded (write '@' as %40, ':' as %3A, '/' as %2F).
        Errors name the problem but never repeat the URL, which holds the password.
        """
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            raise ValueError(f"SMTP URL is malformed; {_URL_HINT}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps"):
            shown = f"{scheme!r}" if scheme else "none"
            raise ValueError(f"SMTP URL scheme must be smtp or smtps (got {shown}); {_URL_HINT}")
        if not parts.hostname:
            raise ValueError(f"SMTP URL has no host; {_URL_HINT}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("SMTP URL port must be a number in 1-65535") from None
        if parts.path not in ("", "/"):
            raise ValueError("SMTP URL must not have a path (put options after '?')")
        starttls, timeout = False, 30.0
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "starttls":
                starttls = _flag(key, value)
            elif key == "timeout":
                try:
                    timeout = float(value)
                except ValueError:
                    raise ValueError("SMTP URL option 'timeout' must be seconds") from None
            else:
                raise ValueError(f"unknown SMTP URL option {key!r} (known: starttls, timeout)")
        use_tls = scheme == "smtps"
        default_port = 465 if use_tls else 587 if starttls else 25
        return cls(
            host=parts.hostname,
            port=port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            use_tls=use_tls,
            starttls=starttls,
            timeout=timeout,
        )


def _address_ok(address: str) -> bool:
    return bool(parseaddr(address)[1]) and not any(ch in address for ch in "\r\n")


class SmtpDestination:
    """Sends each digest as one message to all recipients."""

    def __init__(
        self,
        name: str,
        settings: SmtpSettings,
        sender: str,
        recipients: Sequence[str],
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        if not _address_ok(sender):
            raise ValueError(f"destination {name!r}: sender address {sender!r} is not valid")
        if isinstance(recipients, str) or not recipients:
            raise ValueError(f"destination {name!r}: give a non-empty list of recipients")
        bad = [r for r in recipients if not _address_ok(r)]
        if bad:
            raise ValueError(f"destination {name!r}: invalid recipient address(es): {bad}")
        self.name = name
        self.settings = settings
        self.sender = sender
        self.recipients = tuple(recipients)
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname

    def __repr__(self) -> str:
        return (
            f"SmtpDestination(name={self.name!r}, settings={self.settings!r}, "
            f"sender={self.sender!r}, recipients={list(self.recipients)!r})"
        )

    def build_message(self, digest: Digest) -> EmailMessage:
        """The MIME message: multipart/alternative, UTF-8, quoted-printable (7-bit safe)."""
        rendered = render_email(digest)
        sender_domain = parseaddr(self.sender)[1].rpartition("@")[2] or "otswatch.localhost"
        msg = EmailMessage(policy=policy.SMTP)
        msg["Subject"] = rendered.subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(usegmt=True)
        # The same Message-ID on every attempt of one delivery: a copy re-sent after a lost
        # acknowledgement is recognisable as the same message (and dropped by many servers).
        if digest.identity:
            msg["Message-ID"] = f"<{digest.identity}@{sender_domain}>"
        else:
            msg["Message-ID"] = make_msgid(idstring="otswatch", domain=sender_domain)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
        msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
        return msg

    async def send(self, digest: Digest) -> str:
        message = self.build_message(digest)
        return await asyncio.to_thread(self._deliver, message)

    # --- blocking part, runs in a worker thread ------------------------------------------

    def _deliver(self, message: EmailMessage) -> str:
        s = self.settings
        stage = f"connect to {s.host}:{s.port}"
        try:
            smtp = self._connect()
            try:
                if s.starttls:
                    stage = "STARTTLS"
                    smtp.ehlo()
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if s.username:
                    stage = "AUTH"
                    self._login(smtp)
                return self._transfer(smtp, message)
            finally:
                try:
                    smtp.quit()
                except (smtplib.SMTPException, OSError):
                    smtp.close()
        except smtplib.SMTPException as exc:
            raise self._smtp_error(stage, exc) from None
        except ssl.SSLError as exc:  # certificate or protocol mismatch: a settings problem
            raise PermanentDeliveryError(self.name, self._cause(stage, exc)) from None
        except OSError as exc:  # refused, reset, timeout, DNS: the server may come back
            raise TemporaryDeliveryError(self.name, self._cause(stage, exc)) from None

    def _login(self, smtp: smtplib.SMTP) -> None:
        s = self.settings
        try:
            smtp.login(s.username or "", s.password or "")
        except UnicodeEncodeError:  # smtplib encodes AUTH data as ASCII; say so, not which char
            cause = "AUTH failed: smtplib cannot send a non-ASCII user name or password"
            raise PermanentDeliveryError(self.name, cause) from None

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_tls:
            return smtplib.SMTP_SSL(
                s.host, s.port, self._local_hostname, timeout=s.timeout, context=self._context()
            )
        return smtplib.SMTP(s.host, s.port, self._local_hostname, timeout=s.timeout)

    def _transfer(self, smtp: smtplib.SMTP, message: EmailMessage) -> str:
        """MAIL/RCPT/DATA by hand (not sendmail) to keep the DATA reply: it carries the queue id."""
        smtp.ehlo_or_helo_if_needed()
        envelope_from = parseaddr(self.sender)[1]
        code, reply = smtp.mail(envelope_from)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
        refused: dict[str, tuple[int, bytes]] = {}
        for recipient in self.recipients:
            address = parseaddr(recipient)[1]
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                refused[address] = (code, reply)
        if len(refused) == len(self.recipients):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused(refused)
        code, reply = smtp.data(message.as_bytes(policy=policy.SMTP))
        if code != 250:  # smtplib only checks the 354 go-ahead; the verdict comes after the dot
            raise smtplib.SMTPDataError(code, reply)
        ack = f"smtp:{code} {reply.decode('utf-8', 'replace')}".strip()
        if refused:
            ack += " (refused: " + ", ".join(f"{a} {c}" for a, (c, _) in refused.items()) + ")"
        return ack

    def _cause(self, stage: str, exc: BaseException) -> str:
        detail = str(exc) or "no detail"
        return redact(f"{stage} failed: {exc.__class__.__name__}: {detail}", self._secrets())

    def _secrets(self) -> tuple[str, ...]:
        return (self.settings.password,) if self.settings.password else ()

    def _by_code(self, cause: str, *, temporary: bool) -> DeliveryError:
        if temporary:
            return TemporaryDeliveryError(self.name, cause)
        return PermanentDeliveryError(self.name, cause)

    def _smtp_error(self, stage: str, exc: smtplib.SMTPException) -> DeliveryError:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{addr}: {code} {reply.decode('utf-8', 'replace')}"
                for addr, (code, reply) in exc.recipients.items()
            )
            cause = redact(f"RCPT TO refused every recipient: {detail}", self._secrets())
            return self._by_code(cause, temporary=all(400 <= c < 500 for c in codes))
        if isinstance(exc, smtplib.SMTPResponseException):
            what = {smtplib.SMTPSenderRefused: "MAIL FROM", smtplib.SMTPDataError: "DATA"}
            step = what.get(type(exc), stage)
            reply = exc.smtp_error
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            cause = redact(f"{step} failed: {exc.smtp_code} {text}", self._secrets())
            return self._by_code(cause, temporary=400 <= exc.smtp_code < 500)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return TemporaryDeliveryError(self.name, self._cause(stage, exc))
        # SMTPNotSupportedError (no STARTTLS/AUTH offered), no usable AUTH mechanism, ...
        return PermanentDeliveryError(self.name, self._cause(stage, exc))


@destination_kind
class EmailKind(DestinationKind):
    """`type: email`: SMTP submission; server URL, sender and recipients from the environment."""

    kind = "email"
    summary = "email over SMTP; smtp_url_env, from_env, to_env name its variables"
    smtp_url_env: str = "OTSWATCH_SMTP_URL"
    from_env: str = "OTSWATCH_EMAIL_FROM"
    to_env: str = "OTSWATCH_EMAIL_TO"

    def environment(self, key: str) -> tuple[str, ...]:
        return (self.smtp_url_env, self.from_env, self.to_env)

    def build(self, key: str, context: BuildContext) -> SmtpDestination:
        env = context.environ
        try:
            smtp = SmtpSettings.from_url(env[self.smtp_url_env])
        except ValueError as exc:
            raise ValueError(f"{self.smtp_url_env} is invalid: {exc}") from None
        recipients = [r.strip() for r in env[self.to_env].split(",") if r.strip()]
        return SmtpDestination(key, smtp, env[self.from_env].strip(), recipients)
