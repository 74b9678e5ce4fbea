"""Destination kinds register themselves, the way Apprise's plugins do.

A kind is one small declared class, a pydantic model: its fields are what an entry of that
`type:` may say in destinations.yaml (beyond name, id and type), `environment()` names the
variables holding its secrets, and `build()` makes the live destination. The class is
registered by `@destination_kind`; every module of this package is imported once by `kinds()`,
so a new destination is one new module here (plus its tests), and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from alerts.delivery.destinations.base import Destination

_KINDS: dict[str, type[DestinationKind]] = {}
_LOADED = False
K = TypeVar("K", bound="type[DestinationKind]")


@dataclass(frozen=True)
class BuildContext:
    """What a kind may use to build its destination: the environment and the base directory
    that relative paths in the config are read against."""

    environ: Mapping[str, str]
    base_dir: Path


class DestinationKind(BaseModel):
    """The options of one destination kind, and how it is made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    summary: ClassVar[str]  # one line for `config check`, `status` and the README

    def environment(self, key: str) -> tuple[str, ...]:
        """The variables this destination needs set (secrets never live in the YAML)."""
        return ()

    def standby(self) -> bool:
        """True for a fallback that is switched off when another destination is live."""
        return False

    def build(self, key: str, context: BuildContext) -> Destination:
        """The live destination; ValueError (without the secret) when a variable is unusable."""
        raise NotImplementedError


def destination_kind(cls: K) -> K:
    """Class decorator: make a kind known under its `kind` name."""
    name = cls.kind
    if name in _KINDS and _KINDS[name] is not cls:
        raise ValueError(f"destination kind {name!r} is registered twice")
    _KINDS[name] = cls
    return cls


def kinds() -> dict[str, type[DestinationKind]]:
    """Every registered kind by name, importing this package's modules on first use."""
    global _LOADED
    if not _LOADED:
        package = importlib.import_module(__package__ or "alerts.delivery.destinations")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        _LOADED = True
    return dict(sorted(_KINDS.items()))


def env_name(key: str, suffix: str) -> str:
    """OTSWATCH_<KEY>_<SUFFIX>: the default variable of a destination with this key."""
    return f"OTSWATCH_{re.sub(r'[^A-Za-z0-9]+', '_', key).strip('_').upper()}_{suffix}"
