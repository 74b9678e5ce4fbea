"""The schema of `config/destinations.yaml`: where flags go, when, and at which level.

The destinations themselves are declared by their kinds (alerts.delivery.destinations.registry);
the file is read entry by entry in otswatch.config_routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.delivery.quiet import QuietHours
from alerts.delivery.wording import DEFAULT_LANGUAGE, WORDINGS, supported

InstantLevel = Literal["none", "core", "related"]


class DigestSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cron: str = "0 7 * * *"
    timezone: str = "UTC"
    max_stories: int = Field(default=40, ge=1, le=500)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Asia/Almaty)"
            ) from exc
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone=ZoneInfo("UTC"))
        except ValueError as exc:
            raise ValueError(f"bad cron expression {value!r}: {exc}") from exc
        return value


class RouteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    watches: list[str] | None = None  # None = every watch
    destinations: list[str] = Field(min_length=1)
    instant: InstantLevel = "core"  # levels pushed at once; the rest waits for the digest
    instant_min_score: float = Field(default=0.7, ge=0, le=1)
    min_score: float = Field(default=0.0, ge=0, le=1)
    digest: DigestSpec | None = Field(default_factory=DigestSpec)
    # Quiet hours, e.g. "22:00-07:00": instant alerts due then wait for the end of the window,
    # except for the `urgent` levels. The digest is not affected.
    quiet: str | None = None
    timezone: str | None = None  # zone of the quiet hours; default: the digest's zone, or UTC
    urgent: list[Literal["core", "related"]] = Field(default_factory=list)
    # The language of what the digest itself writes (headings, labels, dates), not the news.
    language: str = Field(
        default=DEFAULT_LANGUAGE, json_schema_extra={"enum": list(WORDINGS)}
    )  # a str checked below, not a Literal: the error then names each language in full

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in WORDINGS:
            raise ValueError(f"unknown language {value!r} (supported: {supported()})")
        return value

    @model_validator(mode="after")
    def _quiet_hours(self) -> RouteSpec:
        if self.timezone is not None:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {self.timezone!r} (use an IANA name such as Asia/Almaty)"
                ) from None
        if self.quiet is not None:
            QuietHours.parse(self.quiet, self.quiet_zone)  # raises with what would be right
        return self

    @property
    def quiet_zone(self) -> str:
        return self.timezone or (self.digest.timezone if self.digest else "UTC")


@dataclass(frozen=True)
class Route:
    """A route resolved against the live destinations (unconfigured ones dropped)."""

    name: str
    watches: tuple[str, ...] | None
    destinations: tuple[str, ...]
    instant_levels: tuple[str, ...]
    instant_min_score: float
    min_score: float
    digest: DigestSpec | None
    quiet: QuietHours | None = None
    urgent_levels: tuple[str, ...] = ()
    language: str = DEFAULT_LANGUAGE


def resolve_route(spec: RouteSpec, live: set[str]) -> Route:
    levels = {"none": (), "core": ("core",), "related": ("core", "related")}[spec.instant]
    return Route(
        name=spec.name,
        watches=tuple(spec.watches) if spec.watches is not None else None,
        destinations=tuple(d for d in spec.destinations if d in live),
        instant_levels=levels,
        instant_min_score=spec.instant_min_score,
        min_score=spec.min_score,
        digest=spec.digest,
        quiet=QuietHours.parse(spec.quiet, spec.quiet_zone) if spec.quiet else None,
        urgent_levels=tuple(spec.urgent),
        language=spec.language,
    )
