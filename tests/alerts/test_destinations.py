"""Destinations against real local servers (aiosmtpd, http.server) and httpx.MockTransport."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.delivery.destinations import (
    ConsoleDestination,
    DeliveryError,
    Destination,
    PermanentDeliveryError,
    RateLimitedError,
    SlackDestination,
    SmtpDestination,
    SmtpSettings,
    TemporaryDeliveryError,
    WebhookDestination,
)
from alerts.delivery.destinations.http import parse_retry_after
from alerts.delivery.render import render_email, render_json, render_slack
from alerts.delivery.types import Digest

SLACK_PATH = "/services/T0TEST/B0TEST/s3cr3tT0kenValue"
SLACK_URL = "https://hooks.slack.example" + SLACK_PATH
SECRET = "s3cr3tT0kenValue"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _send(destination: Destination, digest: Digest) -> str:
    return asyncio.run(destination.send(digest))


def _fail(destination: Destination, digest: Digest) -> DeliveryError:
    with pytest.raises(DeliveryError) as info:
        _send(destination, digest)
    return info.value


# --- SMTP settings ----------------------------------------------------------------------------


def test_smtp_url_forms() -> None:
    plain = SmtpSettings.from_url("smtp://alice:pw@mail.example.org:2525")
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.example.org", 2525, "alice", "pw",
    )  # fmt: skip
    assert not plain.use_tls and not plain.starttls
    assert SmtpSettings.from_url("smtp://relay.example.org").port == 25
    assert SmtpSettings.from_url("smtp://relay.example.org").username is None
    tls = SmtpSettings.from_url("smtps://u:p@mail.example.org")
    assert tls.use_tls and tls.port == 465
    upgrade = SmtpSettings.from_url("smtp://u:p@mail.example.org?starttls=1&timeout=5")
    assert upgrade.starttls and upgrade.port == 587 and upgrade.timeout == 5.0
    assert not SmtpSettings.from_url("smtp://h?starttls=0").starttls


def test_smtp_url_percent_decodes_credentials() -> None:
    settings = SmtpSettings.from_url("smtp://ops%40example.org:p%40ss%3Aw%2Frd%25+1@h:25")
    assert settings.username == "ops@example.org"
    assert settings.password == "p@ss:w/rd%+1"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://u:hunter2pw@h:25", "scheme must be smtp or smtps"),
        ("smtp://u:hunter2pw@:25", "no host"),
        ("smtp://u:hunter2pw@h:port", "port must be a number"),
        ("smtp://u:hunter2pw@h:70000", "port must be a number"),
        ("smtp://u:hunter2pw@h:25/inbox", "must not have a path"),
        ("smtp://u:hunter2pw@h:25?tls=1", "unknown SMTP URL option 'tls'"),
        ("smtp://u:hunter2pw@h:25?starttls=maybe", "'starttls' must be"),
        ("smtps://u:hunter2pw@h?starttls=1", "already uses TLS"),
        ("smtp://u:hunter2pw@h?timeout=soon", "'timeout' must be seconds"),
        ("smtp://:hunter2pw@h", "password given without a user name"),
    ],
)
def test_smtp_url_errors_name_the_problem_not_the_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        SmtpSettings.from_url(url)
    assert "hunter2pw" not in str(info.value)


def test_smtp_repr_hides_password() -> None:
    settings = SmtpSettings.from_url("smtp://alice:hunter2pw@h:25")
    dest = SmtpDestination("mail", settings, "otswatch@example.org", ["a@example.org"])
    assert "hunter2pw" not in repr(settings) and "hunter2pw" not in repr(dest)
    assert "password='***'" in repr(settings)


def test_smtp_destination_rejects_bad_addresses() -> None:
    settings = SmtpSettings(host="h")
    with pytest.raises(ValueError, match="recipients"):
        SmtpDestination("mail", settings, "a@example.org", [])
    with pytest.raises(ValueError, match="recipient"):
        SmtpDestination("mail", settings, "a@example.org", ["ok@example.org", "x@y\r\nBcc: z"])
    with pytest.raises(ValueError, match="sender"):
        SmtpDestination("mail", settings, "", ["a@example.org"])


# --- SMTP delivery against aiosmtpd -----------------------------------------------------------


def _smtp(server: Any, url_auth: str = "", **kwargs: Any) -> SmtpDestination:
    settings = SmtpSettings.from_url(f"smtp://{url_auth}{server.host}:{server.port}?timeout=5")
    return SmtpDestination(
        "mail",
        settings,
        "OTS watch <otswatch@example.org>",
        ["analyst@example.org", "Desk <desk@example.org>"],
        local_hostname="localhost",
        **kwargs,
    )


def test_smtp_sends_multipart_utf8_message(
    smtp_server: Callable[..., Any], sample_digest: Digest
) -> None:
    server = smtp_server()
    ack = _send(_smtp(server), sample_digest)
    assert ack == "smtp:250 2.0.0 Ok: queued as Q0001"
    envelope = server.recorder.messages[0]
    assert envelope.mail_from == "otswatch@example.org"
    assert envelope.rcpt_tos == ["analyst@example.org", "desk@example.org"]
    raw: bytes = envelope.original_content
    assert max(raw) < 128  # 7-bit clean on the wire: quoted-printable bodies, encoded subject
    msg: EmailMessage = server.recorder.parsed()
    rendered = render_email(sample_digest)
    assert msg["Subject"] == rendered.subject  # "— 21 May 2025" survives the RFC 2047 trip
    assert msg["From"] == "OTS watch <otswatch@example.org>"
    assert msg["To"] == "analyst@example.org, Desk <desk@example.org>"
    assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == "utf-8"
    assert text_part.get_content().replace("\r\n", "\n") == rendered.text
    assert "Türk Devletleri Teşkilatı" in text_part.get_content()
    assert "Президенты обсудили" in html_part.get_content()


def test_smtp_auth_with_percent_encoded_password(
    smtp_server: Callable[..., Any], instant_digest: Digest
) -> None:
    server = smtp_server(users={"ops@example.org": "p@ss:w/rd%1"})
    ack = _send(_smtp(server, "ops%40example.org:p%40ss%3Aw%2Frd%251@"), instant_digest)
    assert ack.startswith("smtp:250")
    assert server.logins == ["ops@example.org"]
    assert server.recorder.parsed()["Subject"].startswith("[OTS] Turkic leaders")


def test_smtp_wrong_password_is_permanent_and_not_echoed(
    smtp_server: Callable[..., Any], instant_digest: Digest
) -> None:
    server = smtp_server(users={"alice": "right-password"})
    error = _fail(_smtp(server, "alice:hunter2wrong@"), instant_digest)
    assert isinstance(error, PermanentDeliveryError) and not error.retryable
    assert "AUTH failed: 535" in str(error) and error.destination == "mail"
    assert "hunter2wrong" not in str(error) and "hunter2wrong" not in repr(error)
    assert server.recorder.messages == []


def test_smtp_auth_required_but_not_configured_is_permanent(
    smtp_server: Callable[..., Any], instant_digest: Digest
) -> None:
    server = smtp_server(users={"alice": "pw"})
    error = _fail(_smtp(server), instant_digest)
    assert not error.retryable and "MAIL FROM failed: 530" in str(error)


def test_smtp_5xx_rejection_is_permanent(
    smtp_server: Callable[..., Any], sample_digest: Digest
) -> None:
    server = smtp_server(reject_data="554 5.7.1 Rejected by policy")
    error = _fail(_smtp(server), sample_digest)
    assert isinstance(error, PermanentDeliveryError)
    assert error.retryable is False and error.retry_after is None
    assert str(error) == "mail: DATA failed: 554 5.7.1 Rejected by policy"


def test_smtp_4xx_rejection_is_retryable(
    smtp_server: Callable[..., Any], sample_digest: Digest
) -> None:
    server = smtp_server(reject_rcpt="450 4.2.1 Mailbox busy, try later")
    error = _fail(_smtp(server), sample_digest)
    assert isinstance(error, TemporaryDeliveryError) and error.retryable
    assert "RCPT TO refused every recipient" in str(error) and "450 4.2.1" in str(error)


def test_smtp_connection_refused_is_retryable(sample_digest: Digest) -> None:
    port = _free_port()  # nothing listens there
    settings = SmtpSettings.from_url(f"smtp://alice:hunter2pw@127.0.0.1:{port}?timeout=5")
    dest = SmtpDestination("mail", settings, "a@example.org", ["b@example.org"])
    error = _fail(dest, sample_digest)
    assert isinstance(error, TemporaryDeliveryError) and error.retryable
    assert f"connect to 127.0.0.1:{port} failed" in str(error)
    assert "ConnectionRefusedError" in str(error) and "hunter2pw" not in str(error)


def test_smtp_starttls_with_auth(
    smtp_server: Callable[..., Any], tls_pair: Any, instant_digest: Digest
) -> None:
    server = smtp_server(users={"alice": "pw"}, starttls=tls_pair.server)
    settings = SmtpSettings.from_url(f"smtp://alice:pw@127.0.0.1:{server.port}?starttls=1")
    dest = SmtpDestination(
        "mail", settings, "a@example.org", ["b@example.org"], ssl_context=tls_pair.client
    )
    assert _send(dest, instant_digest).startswith("smtp:250")
    assert server.logins == ["alice"]


def test_smtp_starttls_with_untrusted_certificate_is_permanent(
    smtp_server: Callable[..., Any], tls_pair: Any, instant_digest: Digest
) -> None:
    server = smtp_server(starttls=tls_pair.server)
    settings = SmtpSettings.from_url(f"smtp://127.0.0.1:{server.port}?starttls=1")
    dest = SmtpDestination("mail", settings, "a@example.org", ["b@example.org"])
    error = _fail(dest, instant_digest)  # default context: the self-signed cert is not trusted
    assert not error.retryable and "STARTTLS failed" in str(error)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)


def test_smtps_implicit_tls(
    smtp_server: Callable[..., Any], tls_pair: Any, instant_digest: Digest
) -> None:
    server = smtp_server(implicit_tls=tls_pair.server)
    settings = SmtpSettings.from_url(f"smtps://127.0.0.1:{server.port}")
    dest = SmtpDestination(
        "mail", settings, "a@example.org", ["b@example.org"], ssl_context=tls_pair.client
    )
    assert _send(dest, instant_digest).startswith("smtp:250")
    assert len(server.recorder.messages) == 1


# --- Slack with MockTransport -----------------------------------------------------------------


Handler = Callable[[httpx.Request], httpx.Response]


def _slack_with(handler: Handler) -> tuple[SlackDestination, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(record))
    return SlackDestination("slack", SLACK_URL, client), seen


def test_slack_posts_blocks(sample_digest: Digest) -> None:
    dest, seen = _slack_with(lambda r: httpx.Response(200, text="ok"))
    assert _send(dest, sample_digest) == "slack:200"
    assert seen[0].method == "POST" and seen[0].url.path == SLACK_PATH
    assert seen[0].headers["content-type"] == "application/json"
    assert json.loads(seen[0].content) == render_slack(sample_digest)


def test_slack_429_honours_retry_after(sample_digest: Digest) -> None:
    dest, _ = _slack_with(
        lambda r: httpx.Response(429, headers={"Retry-After": "7"}, text="rate_limited")
    )
    error = _fail(dest, sample_digest)
    assert isinstance(error, RateLimitedError) and error.retryable
    assert error.retry_after == 7.0 and "HTTP 429: rate_limited" in str(error)


def test_slack_500_is_retryable(sample_digest: Digest) -> None:
    dest, _ = _slack_with(lambda r: httpx.Response(500, text="rollup_error"))
    error = _fail(dest, sample_digest)
    assert isinstance(error, TemporaryDeliveryError) and error.retryable
    assert error.retry_after is None


def test_slack_404_no_service_is_permanent_and_hides_url(sample_digest: Digest) -> None:
    dest, _ = _slack_with(lambda r: httpx.Response(404, text="no_service"))
    error = _fail(dest, sample_digest)
    assert isinstance(error, PermanentDeliveryError) and not error.retryable
    assert str(error) == "slack: HTTP 404: no_service"
    assert SECRET not in repr(dest) and "hooks.slack.example" in repr(dest)


def test_slack_connection_error_is_retryable_and_hides_url(sample_digest: Digest) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    dest, _ = _slack_with(refuse)
    error = _fail(dest, sample_digest)
    assert isinstance(error, TemporaryDeliveryError) and error.retryable
    assert "ConnectError" in str(error) and SECRET not in str(error)
    assert error.__cause__ is None and error.__suppress_context__


def test_slack_rejects_non_http_url_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="must start with https://") as info:
        SlackDestination("slack", "ftp://hooks.slack.example/services/" + SECRET)
    assert SECRET not in str(info.value)


# --- Slack and webhook against a real local HTTP server ---------------------------------------


def test_slack_real_server_and_no_secret_in_httpx_log(
    http_sink: Any, sample_digest: Digest, caplog: pytest.LogCaptureFixture
) -> None:
    dest = SlackDestination("slack", http_sink.base_url + SLACK_PATH)  # its own httpx client
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert _send(dest, sample_digest) == "slack:200"
    path, headers, _ = http_sink.requests[0]
    assert path == SLACK_PATH and headers["Content-Type"] == "application/json"
    assert http_sink.json() == render_slack(sample_digest)
    assert "HTTP Request: POST" in caplog.text  # httpx did log the request...
    assert SECRET not in caplog.text  # ...without the secret part of the URL


def test_slack_real_server_rate_limit(http_sink: Any, sample_digest: Digest) -> None:
    http_sink.add_reply(429, "rate_limited", {"Retry-After": "30"})
    error = _fail(SlackDestination("slack", http_sink.base_url + SLACK_PATH), sample_digest)
    assert isinstance(error, RateLimitedError) and error.retry_after == 30.0


def test_webhook_posts_json_with_headers(http_sink: Any, sample_digest: Digest) -> None:
    dest = WebhookDestination(
        "hook", http_sink.base_url + "/in/tok3nXYZ", headers={"Authorization": "Bearer abc123"}
    )
    assert _send(dest, sample_digest) == "webhook:200"
    path, headers, _ = http_sink.requests[0]
    assert path == "/in/tok3nXYZ" and headers["Authorization"] == "Bearer abc123"
    assert http_sink.json() == render_json(sample_digest)
    assert "tok3nXYZ" not in repr(dest) and "abc123" not in repr(dest)


def test_webhook_error_statuses(sample_digest: Digest) -> None:
    replies = iter(
        [
            httpx.Response(204),
            httpx.Response(503, headers={"Retry-After": "12"}, text="maintenance"),
            httpx.Response(400, text="bad payload for tok3nXYZ"),
            httpx.Response(301, headers={"Location": "https://elsewhere.example/"}),
        ]
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: next(replies)))
    dest = WebhookDestination("hook", "https://hooks.example/in/tok3nXYZ", client)
    assert _send(dest, sample_digest) == "webhook:204"
    busy = _fail(dest, sample_digest)
    assert isinstance(busy, TemporaryDeliveryError) and busy.retry_after == 12.0
    bad = _fail(dest, sample_digest)
    assert isinstance(bad, PermanentDeliveryError) and "tok3nXYZ" not in str(bad)
    moved = _fail(dest, sample_digest)
    assert isinstance(moved, PermanentDeliveryError) and "HTTP 301" in str(moved)


def test_webhook_connection_refused_is_retryable(sample_digest: Digest) -> None:
    dest = WebhookDestination("hook", f"http://127.0.0.1:{_free_port()}/in/tok3nXYZ")
    error = _fail(dest, sample_digest)
    assert isinstance(error, TemporaryDeliveryError) and "tok3nXYZ" not in str(error)


def test_retry_after_forms() -> None:
    now = datetime(2025, 5, 21, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Wed, 21 May 2025 12:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Wed, 21 May 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


# --- console ----------------------------------------------------------------------------------


def test_console_prints_and_saves_files(tmp_path: Path, sample_digest: Digest) -> None:
    stream = io.StringIO()
    dest = ConsoleDestination("console", tmp_path / "digests", stream)
    first = _send(dest, sample_digest)
    second = _send(dest, sample_digest)  # same timestamp: must not overwrite the first
    txt1 = tmp_path / "digests" / "digest-20250521T180000Z.txt"
    txt2 = tmp_path / "digests" / "digest-20250521T180000Z-2.txt"
    assert first == f"console:{txt1}" and second == f"console:{txt2}"
    rendered = render_email(sample_digest)
    assert txt1.read_text(encoding="utf-8") == rendered.text
    assert txt1.with_suffix(".html").read_text(encoding="utf-8") == rendered.html
    assert txt2.with_suffix(".html").exists()
    assert stream.getvalue() == rendered.text * 2


def test_console_without_folder_only_prints(sample_digest: Digest) -> None:
    stream = io.StringIO()
    assert _send(ConsoleDestination("console", None, stream), sample_digest) == "console:stream"
    assert stream.getvalue().startswith("OTS watch: 2 new core stories, 3 stories in all")


def test_console_unwritable_folder_is_a_delivery_error(
    tmp_path: Path, sample_digest: Digest
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    error = _fail(ConsoleDestination("console", blocker, io.StringIO()), sample_digest)
    assert error.retryable and "cannot save digest" in str(error)


def test_all_destinations_satisfy_the_protocol(tmp_path: Path) -> None:
    destinations: list[object] = [
        ConsoleDestination("c", tmp_path),
        SlackDestination("s", SLACK_URL),
        WebhookDestination("w", "https://hooks.example/x"),
        SmtpDestination("m", SmtpSettings(host="h"), "a@example.org", ["b@example.org"]),
    ]
    assert all(isinstance(d, Destination) for d in destinations)


# -- Apprise (Teams, Discord, Telegram... through one library) -----------------------------------
def test_apprise_delivers_through_a_json_url_to_a_real_receiver(sample_digest: Digest) -> None:
    import asyncio

    from alerts.delivery.destinations.apprise import AppriseDestination
    from otswatch.demo.servers import WebhookSink

    with WebhookSink(path="/notify") as sink:
        url = sink.url.replace("http://", "json://")
        destination = AppriseDestination("team-chat", [url])
        ack = asyncio.run(destination.send(sample_digest))
        [post] = sink.wait_for(1)
    assert ack == "apprise:1 sent"
    assert isinstance(post.json, dict) and "OTS" in str(post.json.get("title", ""))
    assert "team-chat" in repr(destination) and "json://" not in repr(destination)


def test_apprise_failure_is_retryable_and_hides_the_url(sample_digest: Digest) -> None:
    import asyncio

    import pytest

    from alerts.delivery.destinations.apprise import AppriseDestination
    from alerts.delivery.destinations.base import DeliveryError

    destination = AppriseDestination("team-chat", ["json://127.0.0.1:9/secret-token-path"])
    with pytest.raises(DeliveryError) as info:
        asyncio.run(destination.send(sample_digest))
    assert info.value.retryable and "secret-token-path" not in str(info.value)
    with pytest.raises(ValueError, match="not one Apprise understands"):
        AppriseDestination("team-chat", ["nonsense://x"])


def test_hostile_retry_after_values_are_bounded() -> None:
    from alerts.delivery.destinations.http import parse_retry_after

    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("inf") is None and parse_retry_after("nan") is None
    assert parse_retry_after("1e400") is None and parse_retry_after("²") is None
    assert parse_retry_after("10000000000000") == 86_400.0
    assert parse_retry_after("Wed, 21 Oct 9999 07:28:00 GMT") == 86_400.0
