"""The demo's local servers, exercised with real clients over loopback."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from otswatch.demo.servers import CannedResponse, ReplaySite, SmtpSink, WebhookSink

# --------------------------------------------------------------------------- ReplaySite


@pytest.fixture()
def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "wire").mkdir(parents=True)
    (root / "wire" / "rss.xml").write_text(
        '<rss version="2.0"><channel><link>__BASE__/wire/</link>'
        "<item><link>__BASE__/wire/a.html</link></item></channel></rss>",
        encoding="utf-8",
    )
    (root / "wire" / "news.atom.xml").write_text("<feed/>", encoding="utf-8")
    (root / "wire" / "index.html").write_text("<p>front page __BASE__</p>", encoding="utf-8")
    (root / "wire" / "a.html").write_text(
        "<p>Организация тюркских государств</p>", encoding="utf-8"
    )
    (root / "robots.txt").write_text("Sitemap: __BASE__/sitemap.xml\n", encoding="utf-8")
    (root / "sitemap.xml").write_text("<urlset/>", encoding="utf-8")
    (root / "logo.bin").write_bytes(b"\x00__BASE__\xff")
    (root / "secret.txt").write_text("outside", encoding="utf-8")
    return root


def test_replay_site_substitutes_base_and_sets_content_types(site_root: Path) -> None:
    with ReplaySite(site_root) as site, httpx.Client(base_url=site.base_url) as client:
        assert site.base_url.startswith("http://127.0.0.1:")
        assert not site.base_url.endswith("/")
        rss = client.get("/wire/rss.xml")
        assert rss.status_code == 200
        assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
        assert f"<link>{site.base_url}/wire/a.html</link>" in rss.text
        assert "__BASE__" not in rss.text
        assert int(rss.headers["content-length"]) == len(rss.content)

        expected = {
            "/wire/news.atom.xml": "application/atom+xml; charset=utf-8",
            "/wire/a.html": "text/html; charset=utf-8",
            "/robots.txt": "text/plain; charset=utf-8",
            "/sitemap.xml": "application/xml; charset=utf-8",
        }
        for path, content_type in expected.items():
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"] == content_type, path
        assert client.get("/robots.txt").text == f"Sitemap: {site.base_url}/sitemap.xml\n"
        assert client.get("/wire/a.html").text == "<p>Организация тюркских государств</p>"
        # binary files are served untouched
        assert client.get("/logo.bin").content == b"\x00__BASE__\xff"


def test_replay_site_conditional_get(site_root: Path) -> None:
    with ReplaySite(site_root) as site, httpx.Client(base_url=site.base_url) as client:
        first = client.get("/wire/rss.xml")
        etag, last_modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and etag.endswith('"')

        by_etag = client.get("/wire/rss.xml", headers={"If-None-Match": etag})
        assert by_etag.status_code == 304
        assert by_etag.content == b""
        assert by_etag.headers["etag"] == etag

        by_date = client.get("/wire/rss.xml", headers={"If-Modified-Since": last_modified})
        assert by_date.status_code == 304

        stale_tag = client.get("/wire/rss.xml", headers={"If-None-Match": '"other"'})
        assert stale_tag.status_code == 200
        assert stale_tag.content == first.content

        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        both = client.get(
            "/wire/rss.xml",
            headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified},
        )
        assert both.status_code == 200

        # a file changed after the client's copy is sent again
        path = site_root / "wire" / "rss.xml"
        mtime = path.stat().st_mtime
        os.utime(path, (mtime + 3600, mtime + 3600))
        newer = client.get("/wire/rss.xml", headers={"If-Modified-Since": last_modified})
        assert newer.status_code == 200
        older_stamp = formatdate(mtime - 7200, usegmt=True)
        assert (
            client.get("/wire/rss.xml", headers={"If-Modified-Since": older_stamp}).status_code
            == 200
        )


def test_replay_site_directories_missing_files_and_request_log(site_root: Path) -> None:
    with ReplaySite(site_root) as site, httpx.Client(base_url=site.base_url) as client:
        index = client.get("/wire/")
        assert index.status_code == 200
        assert index.text == f"<p>front page {site.base_url}</p>"
        bare = client.get("/wire")
        assert bare.status_code == 301
        assert bare.headers["location"] == "/wire/"
        assert client.get("/dead/rss.xml").status_code == 404
        assert client.get("/wire/a.html?utm_source=rss").status_code == 200
        head = client.head("/wire/a.html")
        assert head.status_code == 200 and head.content == b""
        assert site.requests == [
            "/wire/",
            "/wire",
            "/dead/rss.xml",
            "/wire/a.html?utm_source=rss",
            "/wire/a.html",
        ]


def test_replay_site_refuses_paths_outside_its_root(site_root: Path) -> None:
    with ReplaySite(site_root / "wire") as site:
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
        try:
            conn.request("GET", "/../secret.txt")
            response = conn.getresponse()
            assert response.status == 404
            assert b"outside" not in response.read()
        finally:
            conn.close()


def test_replay_site_stops_listening_and_works_inside_an_event_loop(site_root: Path) -> None:
    async def fetch_while_loop_runs() -> tuple[str, int]:
        site = ReplaySite(site_root)
        site.start()
        try:
            async with httpx.AsyncClient(base_url=site.base_url) as client:
                response = await client.get("/wire/index.html")
            return site.base_url, response.status_code
        finally:
            site.stop()

    base_url, status = asyncio.run(fetch_while_loop_runs())
    assert status == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/wire/index.html")


def test_replay_site_stop_closes_kept_alive_connections(site_root: Path) -> None:
    site = ReplaySite(site_root)
    site.start()
    with httpx.Client(base_url=site.base_url) as client:
        assert client.get("/wire/index.html").status_code == 200  # connection now kept alive
        site.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/wire/index.html")


# --------------------------------------------------------------------------- SmtpSink


def _message(subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "otswatch@example.org"
    msg["To"] = "analyst@example.org"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def test_smtp_sink_keeps_and_saves_messages_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "mail"
    # a body line starting with "." checks SMTP dot-unstuffing keeps the content intact
    msg = _message(
        "OTS digest: Budapest summit / Түркі мемлекеттері",
        "Three items.\n.leading dot line\nСаммит ОТГ\n",
    )
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    with SmtpSink(out_dir=out) as sink:
        assert sink.url == f"smtp://127.0.0.1:{sink.port}"
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.sendmail(
                "otswatch@example.org", ["analyst@example.org", "desk@example.org"], raw
            )
        (mail,) = sink.wait_for(1)
    assert mail.mail_from == "otswatch@example.org"
    assert mail.rcpt_tos == ["analyst@example.org", "desk@example.org"]
    assert mail.data == raw
    assert mail.parsed["Subject"] == "OTS digest: Budapest summit / Түркі мемлекеттері"
    assert mail.parsed.get_content().splitlines()[1] == ".leading dot line"
    assert mail.login is None
    saved = sorted(out.iterdir())
    assert [p.name for p in saved] == ["001-ots-digest-budapest-summit.eml"]
    assert saved[0].read_bytes() == raw
    assert mail.saved_to == saved[0]


def test_smtp_sink_wait_for_raises_when_too_few_messages() -> None:
    with SmtpSink() as sink, pytest.raises(TimeoutError, match="got 0"):
        sink.wait_for(1, timeout=0.05)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtp_sink_requires_and_checks_auth(mechanism: str) -> None:
    with SmtpSink(require_auth=("digest", "s3cret")) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.ehlo()
            assert {"PLAIN", "LOGIN"} <= set(client.esmtp_features["auth"].split())
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("a@example.org", ["b@example.org"], b"Subject: x\r\n\r\nx\r\n")
            assert refused.value.smtp_code == 530

        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.ehlo()
            client.user, client.password = "digest", "wrong"
            authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.auth(mechanism, authobject)
        assert sink.auth_failures == 1

        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.ehlo()
            client.user, client.password = "digest", "s3cret"
            code, _ = client.auth(
                mechanism, client.auth_plain if mechanism == "PLAIN" else client.auth_login
            )
            assert code == 235
            client.send_message(_message("authenticated", "hello"))
        (mail,) = sink.wait_for(1)
    assert mail.login == "digest"
    assert mail.parsed["Subject"] == "authenticated"


def test_smtp_sink_starts_inside_a_running_event_loop() -> None:
    async def send_from_loop() -> list[str]:
        with SmtpSink() as sink:

            def send() -> None:
                with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
                    client.send_message(_message("from a loop", "x"))

            await asyncio.to_thread(send)
            return [str(m.parsed["Subject"]) for m in sink.wait_for(1)]

    assert asyncio.run(send_from_loop()) == ["from a loop"]


# --------------------------------------------------------------------------- WebhookSink


def test_webhook_sink_records_and_saves_posts(tmp_path: Path) -> None:
    out = tmp_path / "hooks"
    payload = {"text": "OTS alert: Gabala summit\nmore", "blocks": [{"type": "section"}]}
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    with WebhookSink(out_dir=out) as sink, httpx.Client() as client:
        assert sink.url == f"http://127.0.0.1:{sink.port}/hooks/demo"
        response = client.post(sink.url, content=body, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.content) == (200, b"ok")
        form = client.post(sink.url.replace("/demo", "/form"), data={"payload": "x"})
        assert form.status_code == 200
        assert client.get(sink.url).status_code == 405
        first, second = sink.wait_for(2)
    assert first.path == "/hooks/demo"
    assert first.body == body
    assert first.json == payload
    assert first.headers["content-type"] == "application/json"
    assert first.status == 200
    assert second.json is None and second.body == b"payload=x"
    saved = sorted(out.iterdir())
    assert [p.name for p in saved] == ["001-ots-alert-gabala-summit.json", "002-form.json"]
    assert saved[0].read_bytes() == body
    assert first.saved_to == saved[0]


def test_webhook_sink_failure_modes_are_settable_at_runtime() -> None:
    with WebhookSink(status=500, body=b"boom") as sink, httpx.Client() as client:
        assert client.post(sink.url, json={"text": "1"}).status_code == 500
        sink.status, sink.body, sink.headers = 429, b"slow down", {"Retry-After": "7"}
        limited = client.post(sink.url, json={"text": "2"})
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "7"
        assert limited.content == b"slow down"
        sink.status, sink.body, sink.headers = 200, b"ok", {}
        sink.script(CannedResponse(503, b"later"), CannedResponse(404, b"no_service"))
        statuses = [client.post(sink.url, json={"text": str(i)}).status_code for i in range(3)]
        assert statuses == [503, 404, 200]
        received = sink.wait_for(5)
    assert [p.status for p in received] == [500, 429, 503, 404, 200]
    assert [p.json for p in received] == [{"text": str(i)} for i in (1, 2, 0, 1, 2)]


def test_webhook_sink_reads_chunked_bodies() -> None:
    def chunks() -> object:
        yield b'{"text": '
        yield b'"chunked"}'

    with WebhookSink() as sink, httpx.Client() as client:
        response = client.post(sink.url, content=chunks())  # type: ignore[arg-type]
        assert response.status_code == 200
        (post,) = sink.wait_for(1)
    assert post.headers["transfer-encoding"] == "chunked"
    assert post.json == {"text": "chunked"}
