"""`otswatch demo`: the whole pipeline, offline, against local servers.

A bundled replay news site (feeds and HTML pages in several languages), a real SMTP server and
a Slack-style webhook receiver run on 127.0.0.1; one full cycle polls the feeds, crawls the
feed-less site with the Scrapy spider, classifies, and delivers the digest to both. Every
message is saved under the output folder exactly as received, and the demo's database and
config stay there too, so `items`, `explain --id` and `backtest` can explore them afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from otswatch.app import build_app
from otswatch.cycle import run_once
from otswatch.demo.servers import ReplaySite, SmtpSink, WebhookSink
from otswatch.settings import Settings, settings_from_env

DATABASE = "demo.db"
DEMO_DIR = Path(__file__).parent
SITE_ROOT = DEMO_DIR / "site"
DEMO_DESTINATIONS = """\
destinations:
  - name: email
    type: email
  - name: slack
    type: slack
    url_env: OTSWATCH_SLACK_WEBHOOK_URL
routes:
  - name: ots
    watches: [ots]
    destinations: [email, slack]
    instant: none
    digest: {cron: "0 7 * * *", timezone: Asia/Almaty}
"""


def _prepare_config(workdir: Path, base_url: str, user_config: Path) -> Path:
    """The demo's own config: its sources on the replay site, the user's watch-list."""
    config_dir = workdir / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    sources = (DEMO_DIR / "sources.yaml").read_text(encoding="utf-8")
    (config_dir / "sources.yaml").write_text(sources.replace("__BASE__", base_url), "utf-8")
    watchlist = user_config / "watchlist.yaml"
    if not watchlist.exists():
        raise FileNotFoundError(f"{watchlist} not found: run the demo from the project folder")
    shutil.copy(watchlist, config_dir / "watchlist.yaml")
    (config_dir / "destinations.yaml").write_text(DEMO_DESTINATIONS, "utf-8")
    return config_dir


def _clean(out: Path) -> None:
    """Each tour starts afresh (a kept database would have nothing new to send)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.eml"), *out.glob("*.json"), out / DATABASE]:
        old.unlink(missing_ok=True)
    shutil.rmtree(out / "data", ignore_errors=True)


def _explore_commands(out: Path, settings: Settings, item_id: int | None) -> list[str]:
    prefix = f"OTSWATCH_DATABASE_URL={settings.database} otswatch --config {settings.config_dir}"
    return [
        f"{prefix} items --flagged",
        f"{prefix} explain --id {item_id if item_id is not None else 1}",
        f"{prefix} backtest --since 366d --published",
        f"{prefix} deliveries",
    ]


def run_demo(
    out: Path,
    *,
    user_config: Path | None = None,
    web_addr: str | None = None,
    web_seconds: float | None = None,
) -> int:
    """The tour; with `web_addr`, then the web page on the demo's data (see demo.webpage)."""
    started = time.monotonic()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    user_config = user_config or settings_from_env().config_dir
    _clean(out)
    out = out.resolve()
    with (
        ReplaySite(SITE_ROOT) as site,
        SmtpSink(out_dir=out) as smtp,
        WebhookSink(out_dir=out) as hook,
    ):
        settings = Settings(
            config_dir=_prepare_config(out, site.base_url, user_config),
            data_dir=out / "data",
            database_url=f"sqlite:///{out / DATABASE}",
        )
        environ = {
            "OTSWATCH_SMTP_URL": smtp.url,
            "OTSWATCH_EMAIL_FROM": "otswatch-demo@localhost",
            "OTSWATCH_EMAIL_TO": "analyst@localhost",
            "OTSWATCH_SLACK_WEBHOOK_URL": f"{hook.url}/services/DEMO",
        }
        print(f"replay site {site.base_url}  SMTP {smtp.url}  webhook {hook.url}")
        app = build_app(settings, allow_private_networks=True, environ=environ)
        report = asyncio.run(run_once(app))
        sent = [d for d in report.deliveries if d.ok]
        mails = smtp.wait_for(sum(d.destination == "email" for d in sent), timeout=10)
        posts = hook.wait_for(sum(d.destination == "slack" for d in sent), timeout=10)

        items = app.items.get_items()
        flags = app.flags.flags_by_item()
        levels = Counter(max(f, key=lambda x: x.score).level for f in flags.values())
        stories = {i.story for i in items if i.id in flags}
        print()
        print(f"sources      {len(report.polls)} polled:")
        for poll in report.polls:
            state = f"{poll.items_new:3} new" if poll.ok else f"FAILED: {poll.error}"
            print(f"  {poll.source:18} {state}")
        print(
            f"items        {len(items)} stored, {len(flags)} flagged "
            f"({levels['core']} core, {levels['related']} related) in {len(stories)} stories "
            "(near-identical copies joined)"
        )
        for delivery in report.deliveries:
            state = "delivered" if delivery.ok else f"FAILED ({delivery.detail})"
            print(
                f"delivery     {delivery.kind} to {delivery.destination}: "
                f"{delivery.stories} entries (one per event, all outlets and languages), {state}"
            )
        print(f"received     {len(mails)} email(s), {len(posts)} webhook post(s), saved in {out}/")
        for path in sorted([*out.glob("*.eml"), *out.glob("*.json")]):
            print(f"  {path}")
        seed = next((i.id for i in items if i.id in flags and i.lang == "fr"), None)
        print(f"kept         database {out / DATABASE} and config {settings.config_dir}/; explore:")
        for command in _explore_commands(out, settings, seed):
            print(f"  {command}")
        print(f"done in {time.monotonic() - started:.1f}s")
        ok = bool(mails) and bool(posts) and all(d.ok for d in report.deliveries)
        if web_addr is not None:
            from otswatch.demo.webpage import serve_demo_page

            asyncio.run(serve_demo_page(app, web_addr, web_seconds))
        app.engine.dispose()
    if not ok:
        print("demo: the digest did not reach both destinations", file=sys.stderr)
    return 0 if ok else 1
