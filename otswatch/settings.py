"""Settings from the environment (the DESIGN.md contract). Secrets stay SecretStr end to end."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator

ENV_PREFIX = "OTSWATCH_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    config_dir: Path = Path("config")
    data_dir: Path = Path("data")
    database_url: str = ""
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    slack_webhook_url: SecretStr | None = None
    http_addr: str = "127.0.0.1:8480"
    # The address the outside world reaches the HTTP endpoint at; WebSub push is on when set.
    public_url: str | None = None
    redis_url: str | None = None
    log_level: str = "INFO"

    @field_validator("email_to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("http_addr")
    @classmethod
    def _addr(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'otswatch.db'}"


class SettingsError(Exception):
    pass


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in env.items()
        if name.startswith(ENV_PREFIX) and value != ""
    }
    known = set(Settings.model_fields)
    try:
        return Settings.model_validate({k: v for k, v in values.items() if k in known})
    except ValidationError as error:
        lines = [
            f"{ENV_PREFIX}{'_'.join(map(str, detail['loc'])).upper()}: {detail['msg']}"
            for detail in error.errors()
        ]
        raise SettingsError("; ".join(lines)) from None
