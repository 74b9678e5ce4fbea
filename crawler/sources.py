"""The schema of `config/sources.yaml`: only name, url and type are required."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, field_validator

from crawler.addresses import AllowList
from crawler.types import SiteRules, Source
from crawler.zones import check_zone_name

XPATH_PREFIX = "xpath:"  # a site selector written "xpath:..." is XPath, otherwise CSS
MAX_DURATION = timedelta(days=366)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float) -> timedelta:
    """'90s', '15m', '2h', '7d' or a number of seconds."""
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 0 <= value <= MAX_DURATION.total_seconds():
            raise ValueError(f"{value!r} is not a duration between 0 and {MAX_DURATION.days} days")
        return timedelta(seconds=value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration (use e.g. 90s, 15m, 2h, 7d)")
    number, unit = match.groups()
    seconds = float(number) * _UNITS[(unit or "s").lower()]
    if not math.isfinite(seconds) or seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} is longer than {MAX_DURATION.days} days")
    return timedelta(seconds=seconds)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")
    return value.strip()


class SiteRulesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_urls: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    link_css: str | None = None
    title_css: str | None = None
    date_css: str | None = None
    text_css: str | None = None
    max_pages: int = Field(default=60, ge=1, le=5000)
    max_depth: int = Field(default=2, ge=0, le=10)
    use_sitemaps: bool = True

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        return [_check_http_url(v) for v in values]

    @field_validator("link_css", "title_css", "date_css", "text_css")
    @classmethod
    def _selectors(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            if value.startswith(XPATH_PREFIX):
                etree.XPath(value.removeprefix(XPATH_PREFIX))
            else:
                GenericTranslator().css_to_xpath(value)
        except (etree.XPathSyntaxError, SelectorError) as exc:
            raise ValueError(f"bad selector {value!r}: {exc}") from exc
        return value

    @field_validator("allow", "deny")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for pattern in values:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return values


class SourceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    url: str
    type: Literal["feed", "site"]
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    interval: timedelta = timedelta(minutes=30)
    enabled: bool = True
    enrich: bool = True
    site: SiteRulesSpec | None = None
    timezone: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone_name(value)

    # networks or host names this source's URL may reach although not public (intranet feeds)
    allow_private: list[str] = Field(default_factory=list)

    @field_validator("allow_private")
    @classmethod
    def _allow_private(cls, values: list[str]) -> list[str]:
        AllowList.parse(values)  # raises ValueError naming the bad entry
        return values

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_http_url(value)

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: object) -> timedelta:
        if isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float):
            raise ValueError("interval must be a duration like 15m")
        duration = parse_duration(value)
        if duration < timedelta(minutes=1):
            raise ValueError("interval under 1 minute is impolite; use at least 1m")
        if duration > timedelta(days=7):
            raise ValueError("interval over 7 days: disable the source instead (enabled: false)")
        return duration

    def to_source(self) -> Source:
        rules = self.site or SiteRulesSpec()
        return Source(
            name=self.name,
            url=self.url,
            type=self.type,
            lang=self.lang,
            interval=self.interval,
            enabled=self.enabled,
            enrich=self.enrich,
            timezone=self.timezone,
            country=self.country.upper() if self.country else None,
            allow_private=AllowList.parse(self.allow_private),
            site=SiteRules(
                start_urls=tuple(rules.start_urls),
                allow=tuple(rules.allow),
                deny=tuple(rules.deny),
                link_css=rules.link_css,
                title_css=rules.title_css,
                date_css=rules.date_css,
                text_css=rules.text_css,
                max_pages=rules.max_pages,
                max_depth=rules.max_depth,
                use_sitemaps=rules.use_sitemaps,
            ),
        )
