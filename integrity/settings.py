"""One typed settings object for the CLI, the API and the workers (env prefix ``INTEGRITY_``).

Why one object: backends (embedded vs scale-out) are chosen here and only here, so the same code runs
``integrity serve`` on a laptop and Celery + Redis + PostgreSQL in docker-compose. ``get_settings()``
validates at start-up; a bad value stops the process with a message naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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

    # Shared base corpora (e.g. a province-wide 比对库) searched by every check besides its own corpus:
    # INTEGRITY_BASE_CORPORA=/srv/corpora/gansu,/srv/corpora/national (comma- or JSON-list).
    base_corpora: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Corpus directories every tenant's checks also search"
    )

    # --- catalogue and policy ------------------------------------------------------------------
    catalogue_path: Path = CORPORA_DIR / "catalogue" / "catalogue.sqlite"
    policy_dir: Path = CORPORA_DIR / "policies"
    default_policy: str = "gansu-pingliang-2022"
    # Below this many documents a 比对库 is no basis for the copy-ratio rule: a low ratio against a tiny
    # corpus says nothing, so the verdict is 需核实 (finding ``corpus_too_small``), never 认可.
    min_corpus_documents: int = Field(
        default=1000, ge=0, description="Smallest 比对库 (documents) the copy-ratio rule may rely on"
    )

    # --- service -------------------------------------------------------------------------------
    admin_api_key: SecretStr | None = None
    admin_tenant: str = "default"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_worker_healthcheck_timeout_s: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="serve --workers N: seconds a child process may take to answer uvicorn's liveness ping "
        "(uvicorn's 5 s default kills and restarts every child in a loop on a loaded host)",
    )
    worker_threads: int = Field(default=2, ge=1, le=64)
    rate_limit_per_minute: int = Field(default=120, ge=1)
    retention_days: int = Field(default=30, ge=1)
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)
    report_signing_key: SecretStr | None = None
    # Where printed reports' QR codes and verification URLs point. Unset: the address ``serve`` is bound
    # to (``report_base_url``); a loopback address there gets a start-up warning (phones cannot reach it).
    public_base_url: str | None = None
    # Times printed in reports and on the web/verify pages (stored times stay UTC).
    timezone: str = Field(default="Asia/Shanghai", description="IANA zone for displayed times")
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
    job_lease_s: float = Field(
        default=60.0, gt=0, description="A running job's lease; its heartbeat renews it every third of this"
    )
    job_sweep_interval_s: float = Field(
        default=15.0, gt=0, description="How often API processes republish stale queued/running jobs (Celery)"
    )
    job_publish_stale_s: float = Field(
        default=300.0,
        gt=0,
        description="A queued job published this long ago without starting is republished",
    )
    job_db_retry_s: float = Field(
        default=900.0, ge=0, description="How long a worker keeps retrying a job while the database is down"
    )

    # --- people signing in to the web page (API keys stay for systems) ---------------------------
    login_max_failures: int = Field(default=5, ge=1, le=100, description="Wrong passwords before a lockout")
    login_lockout_s: int = Field(default=900, ge=1, description="How long a locked account stays locked")
    session_ttl_s: int = Field(default=8 * 3600, ge=60, description="Web sign-in lifetime (seconds)")
    session_cookie_secure: bool | None = Field(
        default=None, description="Secure flag of the session cookie; default: when public_base_url is https"
    )

    # --- batches (zip + manifest screening) -----------------------------------------------------
    batch_max_upload_bytes: int = Field(default=1024**3, ge=1024, description="Largest batch zip upload")
    batch_max_files: int = Field(default=5000, ge=1, description="Files allowed in one batch zip")
    batch_max_unpacked_bytes: int = Field(default=2 * 1024**3, ge=1024, description="Total unpacked size")
    batch_max_ratio: float = Field(default=200.0, gt=1, description="Largest compression ratio per member")
    batch_max_manifest_rows: int = Field(default=20000, ge=1)
    cross_min_ratio: float = Field(default=0.05, gt=0, lt=1, description="Cross-applicant flag threshold")
    # Body overlap between two applicants' papers (same file or mutual copy) from which both rows are
    # 需核实 naming the other applicant; below it the flag is listed in 交叉比对 only.
    cross_review_ratio: float = Field(
        default=0.15, gt=0, le=1, description="Cross-applicant overlap that makes both rows 需核实"
    )

    @field_validator("base_corpora", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [p.strip() for p in text.split(",") if p.strip()]
        return value

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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知时区 {value!r}（应为 IANA 时区名，如 Asia/Shanghai）") from exc
        return value

    @property
    def report_base_url(self) -> str:
        """INTEGRITY_PUBLIC_BASE_URL, else the bound address of ``serve`` (host and port settings)."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            import socket

            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def loopback_warning(self) -> str | None:
        """A zh-CN warning when report QR codes would point at a loopback address, else None."""
        import ipaddress
        from urllib.parse import urlsplit

        host = urlsplit(self.report_base_url).hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return None
        return (
            f"警告：报告二维码与验证网址指向回环地址 {self.report_base_url}，其他设备（手机扫码）无法访问；"
            "请设置 INTEGRITY_PUBLIC_BASE_URL 为对外网址，或用 --host 绑定对外地址"
        )

    @property
    def display_zone(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

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
