"""Wiring: settings + config directory -> stores, classifier, fetch policy, live destinations."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from alerts.delivery.destinations.base import Destination
from alerts.delivery.destinations.console import ConsoleDestination
from alerts.delivery.destinations.slack import SlackDestination
from alerts.delivery.destinations.smtp import SmtpDestination, SmtpSettings
from alerts.delivery.destinations.webhook import WebhookDestination
from alerts.delivery.routing import (
    DestinationsFile,
    DestinationSpec,
    Route,
    RouteSpec,
    resolve_route,
)
from alerts.delivery.store import DeliveryStore
from alerts.flagging.store import FlagStore
from alerts.matching.classifier import Classifier
from crawler.addresses import AllowList
from crawler.fetch import FetchPolicy
from crawler.leases import Leases, make_leases
from crawler.store import ItemStore
from otswatch import __version__
from otswatch.config import AppConfig, load_config
from otswatch.db import open_database
from otswatch.instant import InstantAlerts
from otswatch.paths import ensure_temp_dir
from otswatch.readiness import Readiness
from otswatch.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_DESTINATIONS = DestinationsFile.model_validate(
    {
        "destinations": [
            {"name": "email", "type": "email"},
            {"name": "slack", "type": "slack", "url_env": "OTSWATCH_SLACK_WEBHOOK_URL"},
            {"name": "console", "type": "console", "only_when_alone": True},
        ],
        "routes": [{"name": "ots", "destinations": ["email", "slack", "console"]}],
    }
)


@dataclass
class App:
    settings: Settings
    config: AppConfig
    engine: Engine
    items: ItemStore
    flags: FlagStore
    outbox: DeliveryStore
    classifier: Classifier
    fetch_policy: FetchPolicy
    destinations: dict[str, Destination]
    routes: list[Route]
    leases: Leases
    environ: Mapping[str, str] = field(default_factory=dict)  # where destinations find secrets
    allow_private_networks: bool = False
    collect_only: bool = False  # `otswatch worker`: poll and store, never classify or send
    stopping: threading.Event = field(default_factory=threading.Event)
    notes: list[str] = field(default_factory=list)  # why a destination is switched off, etc.
    # One alerting pass at a time: classification and delivery must never run twice at once
    # in this process, or a pending delivery could be attempted twice.
    alerting: asyncio.Lock = field(default_factory=asyncio.Lock)
    background: set[asyncio.Task[object]] = field(default_factory=set)
    readiness: Readiness = field(default_factory=Readiness)  # scheduled jobs' runs, for /readyz
    instant: InstantAlerts = field(default_factory=InstantAlerts)  # see otswatch.cycle.alert_soon

    def spawn(self, work: Coroutine[object, object, object]) -> None:
        """Run work in the background, keeping a reference so the task is not collected."""
        task = asyncio.get_running_loop().create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    @property
    def user_agent(self) -> str:
        return self.fetch_policy.user_agent


@dataclass(frozen=True)
class Wiring:
    """What follows from a config directory and the environment (rebuilt on reload)."""

    config: AppConfig
    classifier: Classifier
    fetch_policy: FetchPolicy
    destinations: dict[str, Destination]
    routes: list[Route]
    notes: list[str]


def wire(
    config: AppConfig,
    settings: Settings,
    environ: Mapping[str, str],
    *,
    allow_private_networks: bool = False,
) -> Wiring:
    user_agent = config.settings.user_agent.format(
        version=__version__, contact=config.settings.contact
    )
    destinations, notes = build_destinations(
        config.destinations if config.destinations.destinations else DEFAULT_DESTINATIONS,
        settings,
        environ,
        base_dir=settings.data_dir,  # relative console out_dir: beside the database
    )
    route_specs: list[RouteSpec] = (
        config.destinations.routes if config.destinations.routes else DEFAULT_DESTINATIONS.routes
    )
    return Wiring(
        config=config,
        classifier=Classifier(config.watches),
        fetch_policy=FetchPolicy(
            user_agent=user_agent,
            timeout=config.settings.fetch_timeout,
            max_bytes=config.settings.max_feed_bytes,
            allow_private_networks=allow_private_networks or config.settings.allow_private_networks,
            allow_private=AllowList.parse(config.settings.allow_private),
        ),
        destinations=destinations,
        routes=[resolve_route(spec, set(destinations)) for spec in route_specs],
        notes=notes,
    )


def build_app(
    settings: Settings,
    *,
    config: AppConfig | None = None,
    allow_private_networks: bool = False,
    environ: Mapping[str, str] | None = None,
) -> App:
    environ = os.environ if environ is None else environ
    wiring = wire(
        config or load_config(settings.config_dir),
        settings,
        environ,
        allow_private_networks=allow_private_networks,
    )
    ensure_temp_dir(settings.data_dir)
    engine = open_database(settings.database)
    app = App(
        settings=settings,
        config=wiring.config,
        engine=engine,
        items=ItemStore(engine),
        flags=FlagStore(engine),
        outbox=DeliveryStore(engine),
        classifier=wiring.classifier,
        fetch_policy=wiring.fetch_policy,
        destinations=wiring.destinations,
        routes=wiring.routes,
        leases=make_leases(settings.redis_url),
        notes=wiring.notes,
        environ=environ,
        allow_private_networks=allow_private_networks,
    )
    app.items.sync_sources([s for s in app.config.sources if s.enabled])
    return app


def reload_app(app: App) -> AppConfig:
    """Re-read the config directory and rewire; raises ConfigFileError and keeps the old
    wiring when a file cannot be used at all."""
    wiring = wire(
        load_config(app.settings.config_dir),
        app.settings,
        app.environ,
        allow_private_networks=app.allow_private_networks,
    )
    app.config, app.classifier, app.fetch_policy = (
        wiring.config,
        wiring.classifier,
        wiring.fetch_policy,
    )
    app.destinations, app.routes, app.notes = wiring.destinations, wiring.routes, wiring.notes
    app.items.sync_sources([s for s in app.config.sources if s.enabled])
    return app.config


def build_destinations(
    spec: DestinationsFile, settings: Settings, env: Mapping[str, str], *, base_dir: Path
) -> tuple[dict[str, Destination], list[str]]:
    """Each destination switches itself off, with a note, when its environment is not set."""
    live: dict[str, Destination] = {}
    notes: list[str] = []
    consoles: list[DestinationSpec] = []
    for dest in spec.destinations:
        if dest.type == "console":
            consoles.append(dest)
            continue
        made = _make(dest, settings, env, notes)
        if made is not None:
            live[dest.name] = made
    for dest in consoles:
        if dest.only_when_alone and live:
            notes.append(f"destination {dest.name}: off, another destination is configured")
            continue
        out_dir = Path(dest.out_dir)
        live[dest.name] = ConsoleDestination(
            dest.name, out_dir if out_dir.is_absolute() else base_dir / out_dir
        )
    return live, notes


def _make(
    dest: DestinationSpec, settings: Settings, env: Mapping[str, str], notes: list[str]
) -> Destination | None:
    if dest.type == "email":
        url = env.get(dest.smtp_url_env, "")
        sender = env.get(dest.from_env, "")
        recipients = [r.strip() for r in env.get(dest.to_env, "").split(",") if r.strip()]
        missing = [
            name
            for name, value in (
                (dest.smtp_url_env, url),
                (dest.from_env, sender),
                (dest.to_env, recipients),
            )
            if not value
        ]
        if missing:
            notes.append(f"destination {dest.name}: off, {', '.join(missing)} not set")
            return None
        try:
            smtp = SmtpSettings.from_url(url)
        except ValueError as exc:
            notes.append(f"destination {dest.name}: off, {dest.smtp_url_env} is invalid: {exc}")
            return None
        return SmtpDestination(dest.name, smtp, sender, recipients)
    variable = dest.url_env or {
        "slack": "OTSWATCH_SLACK_WEBHOOK_URL",
        "apprise": "OTSWATCH_APPRISE_URLS",
    }.get(dest.type, f"OTSWATCH_{dest.name.upper().replace('-', '_')}_URL")
    url = env.get(variable, "")
    if not url:
        notes.append(f"destination {dest.name}: off, {variable} not set")
        return None
    try:
        if dest.type == "slack":
            return SlackDestination(dest.name, url)
        if dest.type == "apprise":
            return _apprise(dest.name, url.replace(",", " ").split())
        return WebhookDestination(dest.name, url)
    except (ValueError, ImportError) as exc:  # messages never carry the URL itself
        notes.append(f"destination {dest.name}: off, {variable} is unusable: {exc}")
        return None


def _apprise(name: str, urls: list[str]) -> Destination:
    from alerts.delivery.destinations.apprise import AppriseDestination  # needs the `apprise` extra

    return AppriseDestination(name, urls)
