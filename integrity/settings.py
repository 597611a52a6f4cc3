"""One typed settings object for the CLI, the API and the workers (env prefix ``INTEGRITY_``).

Why one object: backends (embedded vs scale-out) are chosen here and only here, so the same code runs
``integrity serve`` on a laptop and Celery + Redis + PostgreSQL in docker-compose. ``get_settings()``
validates at start-up; a bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA_DIR = REPO_ROOT / "corpora"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTEGRITY_", env_file=None, extra="ignore")

    # --- storage and backends -------------------------------------------------------------------
    data_dir: Path = Field(default=Path("var"), description="Local files: uploads, corpora, SQLite databases")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/integrity.db"
    )
    queue_backend: Literal["inprocess", "celery"] = "inprocess"
    broker_url: str = "redis://127.0.0.1:6379/0"
    redis_url: str = "redis://127.0.0.1:6379/1"
    lsh_backend: Literal["sqlite", "redis", "postgres"] = "sqlite"
    redis_key_prefix: str = "integrity"
    lsh_postgres_url: str = Field(
        default="postgresql://127.0.0.1:5432/integrity", description="PostgreSQL of the postgres LSH backend"
    )
    lsh_postgres_schema: str = Field(default="integrity_lsh", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    lsh_bucket_bits: int = Field(
        default=22,
        ge=8,
        le=30,
        description="postgres LSH: 2^bits packed segments (fixed when an index is made)",
    )
    lsh_partitions: int = Field(
        default=1, ge=1, le=1024, description="postgres LSH: hash partitions of the bucket table (sharding)"
    )

    # --- matching ------------------------------------------------------------------------------
    # Measured on the dev benchmark: 96 permutations in 32 bands x 3 rows (threshold 0.25) over
    # 100-character chunks find every dev source with ~3 candidates per paper (128/0.2/200: ~50), and
    # still retrieve 98 % of sources when 15 % of the characters are edited (64/0.3/120: 93 %).
    minhash_perms: int = Field(default=96, ge=16, le=512)
    lsh_threshold: float = Field(default=0.25, gt=0.0, lt=1.0)
    chunk_chars: int = Field(default=100, ge=50, le=5000)

    # --- ingest limits (untrusted files are parsed in a subprocess under these) ----------------
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    parse_timeout_s: float = Field(default=120.0, gt=0)
    parse_memory_mb: int = Field(default=1536, ge=128)
    max_pages: int = Field(default=300, ge=1)
    ocr_enabled: bool = True
    ocr_languages: str = "chi_sim+eng"
    ocr_dpi: int = Field(default=300, ge=72, le=600, description="Render resolution of scanned pages")
    ocr_timeout_s: float = Field(default=900.0, gt=0, description="Time limit of the OCR pass (~5-15 s/page)")
    ocr_min_confidence: float = Field(default=45.0, ge=0, le=100, description="Mean OCR confidence floor")
    max_unzipped_bytes: int = Field(default=200 * 1024 * 1024, ge=1024, description="DOCX: total unpacked")
    expect_chinese: bool = Field(default=True, description="Flag text layers with too few CJK characters")
    min_cjk_ratio: float = Field(default=0.2, ge=0, le=1, description="CJK share below which text is garbled")

    # --- catalogue and policy ------------------------------------------------------------------
    catalogue_path: Path = CORPORA_DIR / "catalogue" / "catalogue.sqlite"
    policy_dir: Path = CORPORA_DIR / "policies"
    default_policy: str = "gansu-pingliang-2022"

    # --- service -------------------------------------------------------------------------------
    admin_api_key: SecretStr | None = None
    admin_tenant: str = "default"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    worker_threads: int = Field(default=2, ge=1, le=64)
    rate_limit_per_minute: int = Field(default=120, ge=1)
    retention_days: int = Field(default=30, ge=1)
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    report_signing_key: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    webhook_allow_private: bool = Field(
        default=False, description="Allow callback URLs on loopback/private addresses (tests, closed nets)"
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_backoff_s: float = Field(default=30.0, gt=0, description="First retry delay; doubles per attempt")
    queue_paused: bool = Field(default=False, description="Accept and persist jobs but do not start them")
    celery_queue: str = Field(default="integrity", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    task_time_limit_s: int = Field(default=1800, ge=10, description="Hard limit of one job")
    celery_visibility_timeout_s: int = Field(
        default=7200, ge=60, description="Broker redelivery delay; must exceed task_time_limit_s"
    )

    # --- batches (zip + manifest screening) -----------------------------------------------------
    batch_max_upload_bytes: int = Field(default=1024**3, ge=1024, description="Largest batch zip upload")
    batch_max_files: int = Field(default=5000, ge=1, description="Files allowed in one batch zip")
    batch_max_unpacked_bytes: int = Field(default=2 * 1024**3, ge=1024, description="Total unpacked size")
    batch_max_ratio: float = Field(default=200.0, gt=1, description="Largest compression ratio per member")
    batch_max_manifest_rows: int = Field(default=20000, ge=1)
    cross_min_ratio: float = Field(default=0.05, gt=0, lt=1, description="Cross-applicant flag threshold")

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{(self.data_dir / 'integrity.db').resolve()}"
        return self

    @model_validator(mode="after")
    def _visibility_exceeds_time_limit(self) -> Settings:
        # Redis redelivers unacknowledged tasks after the visibility timeout: it must outlast any task.
        if self.celery_visibility_timeout_s <= self.task_time_limit_s:
            raise ValueError(
                "INTEGRITY_CELERY_VISIBILITY_TIMEOUT_S must be greater than INTEGRITY_TASK_TIME_LIMIT_S "
                f"({self.celery_visibility_timeout_s} <= {self.task_time_limit_s})"
            )
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read from the environment once and validated.

    A bad ``INTEGRITY_*`` value becomes one ``IntegrityError`` naming the variable, so every entry point
    (CLI, API, worker) stops with a clear message instead of a pydantic traceback.
    """
    from pydantic import ValidationError

    from integrity.errors import IntegrityError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "；".join(
            f"INTEGRITY_{'_'.join(str(p) for p in e['loc']).upper() or '*'}: {e['msg']}" for e in exc.errors()
        )
        raise IntegrityError(f"配置错误：{problems}", code="invalid_settings") from exc
