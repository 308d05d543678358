"""Service settings, read from `FRAMING_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRAMING_", extra="ignore")

    model_dir: Path = Field(
        DEFAULT_MODEL_DIR, description="Folder holding model.joblib and model.json."
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
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (JSON list); none by default.",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for POST /admin/reload; the route is off without one."
    )
    classify_threads: int = Field(
        2, gt=0, description="Requests classified at once per worker; more only wait."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, gt=0, lt=65536)
    workers: int = Field(1, gt=0)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
