"""Fixtures for rendering and delivery tests: sample digests and small real servers.

The servers are deliberately minimal (a recording aiosmtpd handler, a recording HTTP
server on 127.0.0.1); otswatch/demo/servers.py has the full-featured ones for the demo.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from alerts.delivery.types import Digest, DigestEntry, SourceRef
from alerts.matching.types import Evidence

GENERATED = datetime(2025, 5, 21, 18, 0, tzinfo=UTC)


def make_entry(**overrides: Any) -> DigestEntry:
    """A plausible core entry; override any field."""
    base = DigestEntry(
        item_id=1,
        story="budapest-informal-summit",
        title="Turkic leaders gather in Budapest for an informal summit",
        url="https://news.example.org/2025/05/21/budapest-summit?ref=rss&lang=en",
        source="Kazinform",
        published=datetime(2025, 5, 21, 9, 30, tzinfo=UTC),
        lang="en",
        watch="ots",
        level="core",
        score=0.93,
        evidence=(
            Evidence("Organization of Turkic States", "summary", "name-en", 1.0),
            Evidence("Turkic leaders", "title", "context-en", 0.3),
        ),
        summary="Heads of state of the member countries met in the Hungarian capital "
        "to talk about transport links and energy.",
        also_reported_by=(
            SourceRef("Trend", "https://trend.example.az/ots", "az", "TDT zirvəsi Budapeştdə"),
            SourceRef("APA", "https://apa.example.az/ots"),
            SourceRef("Daily Sabah", "https://sabah.example.com/ots"),
        ),
    )
    return replace(base, **overrides)


def make_digest(entries: tuple[DigestEntry, ...], **overrides: Any) -> Digest:
    base = Digest(
        kind="digest",
        title="OTS daily digest",
        generated_at=GENERATED,
        entries=entries,
        window_start=datetime(2025, 5, 20, 18, 0, tzinfo=UTC),
        footer_notes=("Source kazinform failing since 2 days: HTTP 404",),
    )
    return replace(base, **overrides)


EntryFactory = Callable[..., DigestEntry]
DigestFactory = Callable[..., Digest]


@pytest.fixture
def entry_factory() -> EntryFactory:
    """make_entry(**overrides) as a fixture (test modules cannot import conftest safely)."""
    return make_entry


@pytest.fixture
def digest_factory() -> DigestFactory:
    return make_digest


@pytest.fixture
def sample_digest() -> Digest:
    """Three stories: a related one listed first (to check grouping), two core ones."""
    related = make_entry(
        item_id=3,
        story="ankara-bilateral",
        title="Президенты обсудили сотрудничество в рамках ОТГ",
        url="https://ru.example.kz/news/3",
        source="Trend",
        published=datetime(2025, 5, 21, 7, 5),  # naive: taken as UTC
        lang="ru",
        level="related",
        score=0.48,
        evidence=(Evidence("ОТГ", "title", "acronym-ru", 0.4),),
        summary="",
        also_reported_by=(),
    )
    core_tr = make_entry(
        item_id=2,
        story="tdt-zirvesi",
        title="Türk Devletleri Teşkilatı zirvesi Budapeşte'de toplandı",
        url="https://tr.example.com.tr/haber/2",
        source="Anadolu Agency",
        lang="tr",
        score=0.88,
        evidence=(Evidence("Türk Devletleri Teşkilatı", "title", "name-tr", 1.0),),
        also_reported_by=(SourceRef("TRT World", "https://trt.example.com/x"),),
    )
    return make_digest((related, make_entry(), core_tr))


@pytest.fixture
def instant_digest() -> Digest:
    return make_digest((make_entry(),), kind="instant", title="Instant alert", footer_notes=())


HOSTILE_TITLE = "<script>alert(1)</script> <!channel> *bold* <http://evil.example|click me> @here"


@pytest.fixture
def hostile_digest() -> Digest:
    entry = make_entry(
        title=HOSTILE_TITLE,
        url="javascript:alert(document.cookie)",
        source="Evil & Co <b>",
        summary="Read <a href='http://evil.example'>this</a> & _that_ ~now~ `rm -rf` <@U123>",
        evidence=(Evidence("<img src=x onerror=alert(1)>", "text", "rule<&>", 0.5),),
        also_reported_by=(SourceRef("<!everyone>", "javascript:void(0)"),),
    )
    return make_digest((entry,), footer_notes=("Source <b>bad</b> failing: HTTP 500 & more",))


# --- ports ------------------------------------------------------------------------------------


def free_port() -> int:
    """aiosmtpd's Controller cannot use port 0, so ask the kernel for a free port first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- SMTP -------------------------------------------------------------------------------------


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: records envelopes; optional canned rejections per stage."""

    require_auth: bool = False
    reject_rcpt: str | None = None  # e.g. "450 4.2.1 Mailbox busy"
    reject_data: str | None = None  # e.g. "554 5.7.1 Rejected by policy"
    messages: list[Envelope] = field(default_factory=list)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Done here rather than with auth_required=True, which warns on every connection.
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.reject_rcpt:
            return self.reject_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.reject_data:
            return self.reject_data
        self.messages.append(envelope)
        return f"250 2.0.0 Ok: queued as Q{len(self.messages):04d}"

    def parsed(self, index: int = -1) -> EmailMessage:
        raw = self.messages[index].original_content
        assert isinstance(raw, bytes)
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SmtpServer:
    host: str
    port: int
    recorder: SmtpRecorder
    logins: list[str]


SmtpFactory = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server() -> Iterator[SmtpFactory]:
    """Start a real aiosmtpd server on 127.0.0.1: smtp_server(users={"u": "p"}, reject_data=...)."""
    controllers: list[Controller] = []

    def start(
        users: dict[str, str] | None = None,
        reject_rcpt: str | None = None,
        reject_data: str | None = None,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
    ) -> SmtpServer:
        recorder = SmtpRecorder(
            require_auth=users is not None, reject_rcpt=reject_rcpt, reject_data=reject_data
        )
        logins: list[str] = []
        kwargs: dict[str, Any] = {}
        if users is not None:

            def authenticate(
                server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                if not isinstance(data, LoginPassword):
                    return AuthResult(success=False, handled=False)
                login = data.login.decode()
                ok = users.get(login) == data.password.decode()
                if ok:
                    logins.append(login)
                return AuthResult(success=ok, handled=False)

            kwargs = {"authenticator": authenticate, "auth_require_tls": False}
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if implicit_tls is not None:
            kwargs.update(ssl_context=implicit_tls)
        port = free_port()
        controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return SmtpServer("127.0.0.1", port, recorder, logins)

    yield start
    for controller in controllers:
        controller.stop()


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class HttpReply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpSink:
    """A real HTTP server on 127.0.0.1 that records POSTs and answers from `replies`."""

    base_url: str
    replies: list[HttpReply]
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def add_reply(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
        self.replies.append(HttpReply(status, body, headers or {}))

    def json(self, index: int = -1) -> Any:
        return json.loads(self.requests[index][2])


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink(base_url="", replies=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            sink.requests.append((self.path, dict(self.headers.items()), body))
            reply = sink.replies.pop(0) if sink.replies else HttpReply()
            payload = reply.body.encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


# --- TLS --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsPair:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> TlsPair:
    """A throwaway self-signed certificate for 127.0.0.1 and contexts that trust only it."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "otswatch test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return TlsPair(server=server, client=client)
