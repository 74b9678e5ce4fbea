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
from alerts.delivery.destinations.registry import BuildContext
from alerts.delivery.routing import Route, RouteSpec, resolve_route
from alerts.delivery.store import DeliveryStore
from alerts.flagging.store import FlagStore
from alerts.matching.classifier import Classifier
from crawler.addresses import AllowList
from crawler.fetch import FetchPolicy
from crawler.store import ItemStore
from otswatch import __version__
from otswatch.config import AppConfig, ConfigProblem, load_config
from otswatch.config_routes import DestinationsConfig, parse_destinations
from otswatch.config_yaml import YamlDoc
from otswatch.db import open_database
from otswatch.instant import InstantAlerts
from otswatch.paths import ensure_temp_dir
from otswatch.readiness import Readiness
from otswatch.settings import SecretEnvironment, Settings

log = logging.getLogger(__name__)

DEFAULTS_NAME = "built-in destinations"
DEFAULT_DESTINATIONS = parse_destinations(
    YamlDoc(
        Path(DEFAULTS_NAME),
        {
            "destinations": [
                {"name": "email", "type": "email"},
                {"name": "slack", "type": "slack"},
                {"name": "console", "type": "console", "only_when_alone": True},
            ],
            "routes": [{"name": "ots", "destinations": ["email", "slack", "console"]}],
        },
        None,
    ),
    [],
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
    environ: Mapping[str, str] = field(default_factory=dict)  # where destinations find secrets
    allow_private_networks: bool = False
    stopping: threading.Event = field(default_factory=threading.Event)
    notes: list[str] = field(default_factory=list)  # why a destination is switched off, etc.
    # what the environment makes of the config (a destination whose variable is unset...)
    wiring_problems: list[ConfigProblem] = field(default_factory=list)
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

    @property
    def problems(self) -> list[ConfigProblem]:
        """Every config problem: the files' own, then what the environment made of them."""
        return [*self.config.problems, *self.wiring_problems]


@dataclass(frozen=True)
class Wiring:
    """What follows from a config directory and the environment (rebuilt on reload)."""

    config: AppConfig
    classifier: Classifier
    fetch_policy: FetchPolicy
    destinations: dict[str, Destination]
    routes: list[Route]
    notes: list[str]
    problems: list[ConfigProblem]


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
    chosen = config.destinations if config.destinations.destinations else DEFAULT_DESTINATIONS
    destinations, notes, problems = build_destinations(
        chosen,
        environ,
        base_dir=settings.data_dir,  # relative console out_dir: beside the database
        file=str(config.directory / "destinations.yaml"),
    )
    route_specs = list(config.destinations.routes) or _default_routes(chosen, notes)
    routes = [resolve_route(spec, set(destinations)) for spec in route_specs]
    for route in routes:
        if not route.destinations and config.destinations.routes:
            problems.append(
                ConfigProblem(
                    str(config.directory / "destinations.yaml"),
                    None,
                    "",
                    "none of its destinations is live: its flags wait until one is",
                    f'route "{route.name}"',
                    "warning",
                )
            )
    if not destinations:
        problems.append(
            ConfigProblem(
                str(config.directory / "destinations.yaml"),
                None,
                "destinations",
                "no live destination: nothing can be delivered",
            )
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
        routes=routes,
        notes=notes,
        problems=problems,
    )


def _default_routes(chosen: DestinationsConfig, notes: list[str]) -> list[RouteSpec]:
    """Without routes, the built-in route to those of its destinations that are configured."""
    keys = {d.key for d in chosen.destinations}
    routes = []
    for spec in DEFAULT_DESTINATIONS.routes:
        targets = [d for d in spec.destinations if d in keys]
        if targets:
            routes.append(spec.model_copy(update={"destinations": targets}))
    if not routes:
        notes.append("no routes configured: only operations notices are sent")
    return routes


def build_app(
    settings: Settings,
    *,
    config: AppConfig | None = None,
    allow_private_networks: bool = False,
    environ: Mapping[str, str] | None = None,
) -> App:
    environ = SecretEnvironment(os.environ if environ is None else environ)  # NAME_FILE too
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
        notes=wiring.notes,
        wiring_problems=wiring.problems,
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
    app.wiring_problems = wiring.problems
    app.items.sync_sources([s for s in app.config.sources if s.enabled])
    return app.config


def build_destinations(
    config: DestinationsConfig, env: Mapping[str, str], *, base_dir: Path, file: str
) -> tuple[dict[str, Destination], list[str], list[ConfigProblem]]:
    """Build each destination from its registered kind. A destination whose variables are
    unset is off: a warning when the user configured it, a note for the built-in defaults."""
    live: dict[str, Destination] = {}
    notes: list[str] = []
    problems: list[ConfigProblem] = []
    context = BuildContext(environ=env, base_dir=base_dir)
    defaults = config is DEFAULT_DESTINATIONS
    standby = [d for d in config.destinations if d.options.standby()]
    for dest in [d for d in config.destinations if not d.options.standby()]:
        label = f'destination "{dest.display}"'
        missing = [
            name for name in dest.options.environment(dest.key) if not env.get(name, "").strip()
        ]
        if missing:
            why = f"off: {', '.join(missing)} not set"
            if defaults:
                notes.append(f"destination {dest.key}: {why}")
            else:
                problems.append(ConfigProblem(file, dest.line, "", why, label, "warning"))
            continue
        try:
            live[dest.key] = dest.options.build(dest.key, context)
        except ValueError as exc:  # messages never carry the secret itself
            problems.append(
                ConfigProblem(
                    file, dest.line, "", f"off: its environment is unusable: {exc}", label
                )
            )
    for dest in standby:
        if live:
            notes.append(f"destination {dest.key}: off, another destination is configured")
            continue
        live[dest.key] = dest.options.build(dest.key, context)
    return live, notes, problems
