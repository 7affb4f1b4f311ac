"""One settings object for every surface (CLI, web, digests).

Precedence, highest first: `PAPERSIFT_*` environment variables, then `<home>/papersift.toml`
(or the file given by `--config` / `PAPERSIFT_CONFIG`), then defaults. The home directory
(`--home` / `PAPERSIFT_HOME`, default `~/.papersift`) holds everything papersift writes, so
two homes never share state. Unknown keys and bad values fail loudly, naming the file or
variable, instead of being ignored.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_HOME = Path("~/.papersift")
CONFIG_NAME = "papersift.toml"


class ConfigError(Exception):
    """Settings could not be loaded; the message names the file/variable and the field."""


class Settings(BaseSettings):
    """All tunables. Each field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="PAPERSIFT_", extra="ignore", validate_default=True)

    home: Path = Field(default=DEFAULT_HOME, description="data directory (catalog, indexes, secrets)")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in home")
    backend: Literal["embedded", "milvus"] = Field(default="embedded", description="index backend (docs/backends.md)")
    milvus_uri: str | None = Field(default=None, description="Milvus URI; default a milvus-lite file in home")
    milvus_token: str | None = Field(default=None, description="Milvus token, `user:password` or an API key")
    milvus_collection: str = Field(
        default="papersift",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$",
        description="Milvus collection holding this home's index",
    )
    encoder: str = Field(default="minilm-int8", description="registered encoder name (index/embed.py)")
    encoder_max_length: int = Field(default=256, ge=16, le=512)
    encoder_threads: int | None = Field(default=None, ge=1)
    ingest_batch_size: int = Field(default=10_000, ge=1, le=100_000)
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    mail_from: str = "papersift@localhost"
    # web limits and trust (docs/security.md)
    max_request_body: int = Field(default=256 * 1024, ge=4096, description="bytes of a request body (413 above)")
    max_upload_body: int = Field(
        default=11 * 1024 * 1024, ge=4096, description="bytes of a request body on upload routes (library import)"
    )
    max_upload_expanded: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="bytes an uploaded file may expand to once decompressed"
    )
    max_filters: int = Field(default=20, ge=1, le=200, description="category / author filters per search (422 above)")
    webhook_hosts: list[str] = Field(
        default=["hooks.slack.com", "discord.com", "discordapp.com"],
        description="hosts users may send webhooks to from the web page ('*' = any public https host); "
        "the operator's CLI is not limited (docs/security.md, SSRF)",
    )
    trusted_proxies: list[str] = Field(
        default=["127.0.0.1"], description="addresses whose X-Forwarded-For/-Proto headers are believed ('*' = all)"
    )
    _home_explicit: bool = PrivateAttr(default=False)
    _config_file: Path | None = PrivateAttr(default=None)

    @property
    def home_explicit(self) -> bool:
        """True when the user chose the home (`--home` or PAPERSIFT_HOME), not the default."""
        return self._home_explicit

    @property
    def config_file(self) -> Path | None:
        """The TOML file these settings were read from (None when there was none)."""
        return self._config_file

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # env beats the TOML values, which `load_settings` passes in as init kwargs
        return (env_settings, init_settings)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'catalog.db'}"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def resolved_milvus_uri(self) -> str:
        """`milvus_uri`, else a milvus-lite database file inside the home's index folder."""
        return self.milvus_uri or str(self.index_dir / "milvus.db")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    known = set(Settings.model_fields)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return data


def load_settings(home: Path | None = None, config_file: Path | None = None) -> Settings:
    """Resolve home (argument > PAPERSIFT_HOME > ~/.papersift), read its TOML, apply env vars."""
    explicit = bool(home or os.environ.get("PAPERSIFT_HOME"))
    home = Path(home or os.environ.get("PAPERSIFT_HOME") or DEFAULT_HOME).expanduser()
    env_config = os.environ.get("PAPERSIFT_CONFIG")
    path = config_file or (Path(env_config) if env_config else home / CONFIG_NAME)
    values: dict[str, Any] = {}
    if path.exists() or config_file or env_config:
        values = _read_toml(path)
    values["home"] = home
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])} (PAPERSIFT_{str(e['loc'][0]).upper()} or {path}): {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
    if settings.backend == "milvus" and importlib.util.find_spec("pymilvus") is None:
        raise ConfigError(
            f'backend = "milvus" (PAPERSIFT_BACKEND or {path}) needs the pymilvus package: '
            "pip install 'papersift[milvus]' (it brings milvus-lite for a local file)"
        )
    # --home on the command line wins over PAPERSIFT_HOME, which env_settings would re-apply
    settings.home = home
    settings._home_explicit = explicit
    settings._config_file = path if path.exists() else None
    return settings
