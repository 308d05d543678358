"""Service settings, read from `FRAMING_*` environment variables."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ANNOTATOR_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
MIN_TOKEN_CHARS = 16


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/framing, or ~/.cache/framing."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "framing"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAMING_", extra="ignore")

    model_dir: Path = Field(
        DEFAULT_MODEL_DIR,
        description="Folder holding each language's model (model.npz and model.json).",
    )
    max_body_bytes: int = Field(
        1024 * 1024, gt=0, description="Largest body of a /classify request, in bytes."
    )
    max_batch_body_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="Largest body of a /classify/batch request, in bytes."
    )
    max_text_chars: int = Field(
        100_000, gt=0, description="Longest text of one document, in code points."
    )
    max_batch_documents: int = Field(100, gt=0, description="Most documents in one batch request.")
    max_batch_chars: int = Field(
        2_000_000, gt=0, description="Most characters, summed over the documents of a batch."
    )
    max_sentences: int = Field(5_000, gt=0, description="Most sentences one document may cut into.")
    max_batch_sentences: int = Field(
        20_000, gt=0, description="Most sentences, summed over the documents of a batch."
    )
    max_explained_sentences: int = Field(
        2_000, gt=0, description="Most sentences in one request that asks for evidence."
    )
    max_queue: int = Field(
        16,
        ge=0,
        description="Requests that may wait for a classification thread, per worker and lane; "
        "beyond that the answer is 503 with Retry-After at once.",
    )
    small_request_chars: int = Field(
        5_000,
        gt=0,
        description="Requests of at most this many characters use a lane of their own, so they "
        "never wait behind large ones.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (JSON list); none by default.",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for POST /admin/reload; the route is off without one."
    )
    annotator_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Annotators' bearer tokens, a JSON object of name to token "
        '(\'{"ana": "..."}\'): corrections are stored under the name. The /feedback routes '
        "are off (404) without any.",
    )
    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        description="Folder for the service's own data: the corrections database "
        "(feedback.sqlite3), unless FRAMING_FEEDBACK_DATABASE_URL is set.",
    )
    cache_dir: Path | None = Field(
        default_factory=default_cache_dir,
        description="Folder for an unpacked copy of the language identifier's model (68 MB), "
        "made by the first worker to start: each worker then starts 0.4 s sooner. When it "
        "cannot be written, or is set empty, each worker unpacks the model itself.",
    )
    feedback_database_url: SecretStr | None = Field(
        None,
        description="A PostgreSQL URL (postgresql://USER:PASSWORD@HOST/DB) to keep corrections "
        "in, instead of the SQLite file in FRAMING_DATA_DIR.",
    )
    max_queue_sentences: int = Field(
        200, gt=0, description="Most sentences one POST /feedback/queue answer may list."
    )
    classify_threads: int = Field(
        1,
        gt=0,
        description="Large requests classified at once per worker; more only wait. "
        "Classification holds the GIL: a second thread shares one core with the first.",
    )
    switch_interval_ms: float = Field(
        0.1,
        gt=0,
        le=100,
        description="Python's thread switch interval in each worker (5 ms by default): how "
        "long the event loop may keep the GIL from a classification thread that wants it "
        "back after NumPy let it go. Short, so a loop busy refusing retries does not starve "
        "classification.",
    )
    run_dir: Path | None = Field(
        None,
        description="Where `framing serve` keeps the verified copies of the models its workers "
        "serve, and their state; a temporary folder when unset.",
    )
    max_connections: int = Field(
        1_000, gt=0, description="Open connections per worker; more are answered 503 and closed."
    )
    max_request_line_bytes: int = Field(8_192, gt=0, description="Longest request line (URL).")
    max_header_bytes: int = Field(16_384, gt=0, description="Most header bytes in one request.")
    max_headers: int = Field(100, gt=0, description="Most header fields in one request.")
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a request's headers may take to arrive (408 after)."
    )
    body_timeout: float = Field(
        30.0, gt=0, description="Seconds a request's body may take to arrive (408 after)."
    )
    keep_alive_timeout: float = Field(
        5.0, gt=0, description="Seconds an idle keep-alive connection stays open."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, gt=0, lt=65536)
    workers: int = Field(1, gt=0)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @field_validator("annotator_tokens")
    @classmethod
    def _check_tokens(cls, tokens: dict[str, SecretStr]) -> dict[str, SecretStr]:
        import re

        for name, token in tokens.items():
            if not re.match(ANNOTATOR_NAME, name):
                raise ValueError(
                    f"annotator name {name!r}: use letters, digits, '.', '_' and '-' (64 at most)"
                )
            if len(token.get_secret_value()) < MIN_TOKEN_CHARS:
                raise ValueError(
                    f"the token of {name!r} is shorter than {MIN_TOKEN_CHARS} characters"
                )
        values = [t.get_secret_value() for t in tokens.values()]
        if len(set(values)) != len(values):
            raise ValueError("two annotators share a token: each needs their own")
        return tokens

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("feedback_database_url")
    @classmethod
    def _check_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is not None and not url.get_secret_value().startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise ValueError("give a postgresql:// URL (or sqlite:///PATH)")
        return url


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
