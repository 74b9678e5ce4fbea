"""Settings from the environment (the DESIGN.md contract). Secrets stay SecretStr end to end."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
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
    # amqp://user:password@host:5672//: polls run as Celery tasks on `otswatch worker`s.
    broker_url: SecretStr | None = None
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


FILE_SUFFIX = "_FILE"
MAX_SECRET_FILE = 65_536


class SecretEnvironment(Mapping[str, str]):
    """The environment, where NAME may also be given as NAME_FILE=/path (Docker secrets,
    systemd credentials): the file's content, without its final newline, is NAME's value.

    Files are read only when NAME is asked for and unset, so unrelated *_FILE variables are
    never touched. An unreadable file raises SettingsError naming the variable and the path,
    never the content.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        value = self._environ.get(name, "")
        path = self._environ.get(name + FILE_SUFFIX, "")
        if value or not path:
            if name in self._environ:
                return value
            raise KeyError(name)
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SECRET_FILE + 1)
        except OSError as exc:
            raise SettingsError(
                f"{name}{FILE_SUFFIX}: cannot read {path}: {exc.strerror or exc}"
            ) from None
        if len(data) > MAX_SECRET_FILE:
            raise SettingsError(f"{name}{FILE_SUFFIX}: {path} is over {MAX_SECRET_FILE} bytes")
        return data.decode("utf-8", "replace").rstrip("\r\n")

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    env = SecretEnvironment(os.environ if environ is None else environ)
    names = {ENV_PREFIX + field.upper() for field in Settings.model_fields}
    found = {name: env.get(name, "") for name in names}
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value for name, value in found.items() if value != ""
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
