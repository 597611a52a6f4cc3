"""Settings per backend for the scale benchmark, and resource probes (RSS, CPU of a PostgreSQL backend)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BACKENDS = ("sqlite", "redis", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test_scale")
# PostgreSQL index layout: 2^bits buckets (the setting's default, 22, unless BENCH_BUCKET_BITS says
# otherwise). At 10^6 documents a 22-bit bucket row holds ~380 entries (3 KB, kept in the heap); 24 bits
# give ~95, but a bulk build's uncompacted rows then hold ~1 entry each (12 GB after 65k documents here),
# so the README keeps 22.
BUCKET_BITS = int(os.environ.get("BENCH_BUCKET_BITS", "22"))
# hash partitions of the PostgreSQL bucket table (the setting's default, 1): compaction rebuilds one
# partition at a time, so its transient disk is 1/P of the index
PARTITIONS = int(os.environ.get("BENCH_PARTITIONS", "1"))


def settings_for(backend: str, data_dir: Path, tag: str, bucket_bits: int = BUCKET_BITS) -> Any:
    from integrity.settings import Settings

    return Settings(
        data_dir=data_dir,
        lsh_backend=backend,  # type: ignore[arg-type]  # validated by Settings at run time
        redis_url=REDIS_URL,
        redis_key_prefix=f"bench-{tag}",
        lsh_postgres_url=POSTGRES_URL,
        lsh_postgres_schema=f"bench_{tag}".replace("-", "_"),
        lsh_bucket_bits=bucket_bits,
        lsh_partitions=PARTITIONS,
    )


def status_kib(pid: int | str, field: str) -> int:
    """A ``/proc/<pid>/status`` field in KiB (VmRSS, RssAnon, VmHWM); 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (a PostgreSQL backend on this host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def redis_used_memory() -> int:
    import redis

    return int(redis.Redis.from_url(REDIS_URL).info("memory")["used_memory"])


def pg_backend_pid(index: Any) -> int | None:
    conn = getattr(index, "conn", None)
    if conn is None or not hasattr(conn, "info"):
        return None
    return int(conn.info.backend_pid)


def drop_backend(backend: str, tag: str) -> None:
    """Remove what an earlier run left in Redis / PostgreSQL under this tag."""
    if backend == "redis":
        import redis

        from bench.machine import delete_redis_keys

        delete_redis_keys(redis.Redis.from_url(REDIS_URL), f"bench-{tag}:*")
    elif backend == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "bench_{tag}" CASCADE'.replace("-", "_"))


class DiskPeak:
    """Samples, in a thread, the free space of the file system holding ``path`` and (PostgreSQL) the
    database size, so a run records how much transient disk a compaction took at its worst."""

    def __init__(self, path: str = "/", interval: float = 0.5) -> None:
        import shutil
        import threading

        self._free = lambda: shutil.disk_usage(path).free
        self.free_before = self.min_free = self._free()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)

    def _sample(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.min_free = min(self.min_free, self._free())

    def __enter__(self) -> DiskPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def used_at_peak(self) -> int:
        """Bytes taken beyond what was in use before, at the lowest free space seen."""
        return max(0, self.free_before - self.min_free)
