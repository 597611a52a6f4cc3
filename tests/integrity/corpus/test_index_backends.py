"""The ``BandIndex`` contract on every backend (real SQLite, Redis and PostgreSQL): adds, deletes and
re-adds leave exactly the index a fresh build of the final documents has; a failed batch leaves nothing."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.corpus.index import BACKENDS, BandIndex
from integrity.errors import CorpusError
from integrity.settings import REPO_ROOT, Settings


def _pg_drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    backend = request.param
    tag = uuid.uuid4().hex[:8]
    if backend == "sqlite":
        yield Settings(data_dir=tmp_path)
    elif backend == "redis":
        import redis

        url = request.getfixturevalue("redis_url")
        prefix = f"itest-{tag}"
        yield Settings(data_dir=tmp_path, lsh_backend="redis", redis_url=url, redis_key_prefix=prefix)
        r = redis.Redis.from_url(url)
        keys = list(r.scan_iter(match=f"{prefix}:*"))
        if keys:
            r.delete(*keys)
    else:
        url = request.getfixturevalue("postgres_url")
        schema = f"itest_{tag}"
        yield Settings(
            data_dir=tmp_path,
            lsh_backend="postgres",
            lsh_postgres_url=url,
            lsh_postgres_schema=schema,
            lsh_bucket_bits=12,  # small: several documents share buckets, so deletes must filter segments
            lsh_partitions=4,
        )
        _pg_drop_schema(url, schema)


def _candidate_ids(c: Corpus, text: str) -> list[str]:
    from integrity.text import match_key

    hits = c.candidates(match_key(text).text, 50)
    docs = c.load([k for k, _ in hits], full=False)
    return sorted(d.record.id for d in docs)


def test_deletes_and_readds_keep_the_index_exact(
    backend_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    final = [*records[:8], replace(records[9], text=records[9].text + "\n" + records[12].text)]
    with Corpus.open(tmp_path / "churn", backend_settings, create=True, namespace="churn") as c:
        assert isinstance(c.lsh, BandIndex)
        c.add(records[:12])
        c.remove([r.id for r in records[8:12]])
        c.add([records[9]])  # re-add
        c.add([final[-1]])  # replace by id, in a batch of its own
        c.remove(["no-such-id"])
        churn_entries = c.lsh.entries()
        churn_hits = {r.id: _candidate_ids(c, r.text) for r in records[:14]}
        c.lsh.compact()  # the query-optimal layout holds the same entries
        assert c.lsh.entries() == churn_entries
        assert {r.id: _candidate_ids(c, r.text) for r in records[:14]} == churn_hits
        c.remove(["doc-007"])
        c.add([records[7]])  # delete and re-add after compaction
        assert c.lsh.entries() == churn_entries
        assert c.describe()["lsh_backend"] == backend_settings.lsh_backend
    with Corpus.open(tmp_path / "fresh", backend_settings, create=True, namespace="fresh") as f:
        f.add(final)
        assert f.lsh.entries() == churn_entries
        assert {r.id: _candidate_ids(f, r.text) for r in records[:14]} == churn_hits
    for rid in ("doc-008", "doc-010", "doc-011"):
        assert all(rid not in v for v in churn_hits.values())
    assert "doc-009" in churn_hits["doc-012"]  # the replaced text now contains doc 12's


def test_failed_batch_leaves_the_index_unchanged(
    backend_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    with Corpus.open(tmp_path / "c", backend_settings, create=True, namespace="tx") as c:
        c.add(records[:5])
        before = c.lsh.entries()
        bad = CorpusRecord(id="bad", title="空", text=" ")
        with pytest.raises(CorpusError):
            c.add([*records[5:10], bad])
        assert c.lsh.entries() == before and len(c) == 5
        assert _candidate_ids(c, records[6].text) == []
        st = c.stats()
        assert st["index_bytes"] > 0 and st["lsh_entries"] == before


def test_backend_name_does_not_leak_out_of_the_index_seam() -> None:
    """Only the seam (index.py, the backends, settings) names a backend or imports a backend class."""
    seam = {"index.py", "lsh.py", "pg_index.py"}
    offenders: list[str] = []
    for root in ("integrity", "service", "workers"):
        for path in (REPO_ROOT / root).rglob("*.py"):
            if (path.parent.name == "corpus" and path.name in seam) or path.name == "settings.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module in (
                    "integrity.corpus.lsh",
                    "integrity.corpus.pg_index",
                ):
                    offenders.append(f"{path}: imports {node.module}")
                if isinstance(node, ast.Compare):
                    names = ast.dump(node)
                    consts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
                    lsh = "lsh_backend" in names or ("attr='lsh'" in names and "attr='name'" in names)
                    if lsh and any(v in BACKENDS for v in consts):
                        offenders.append(f"{path}:{node.lineno}: compares a backend name")
    assert offenders == []


@pytest.mark.parametrize("bits", [8, 22])
def test_postgres_query_counts_equal_the_exact_sqlite_index(
    postgres_url: str, tmp_path: Path, records: list[CorpusRecord], bits: int
) -> None:
    """Every document's count of shared distinct query band hashes equals the SQLite index (full 64-bit
    hashes), before and after compaction: bucket/tag matching adds and loses nothing. ``bits=8`` puts
    hundreds of entries and several query tags in one bucket; 22 is the default layout."""
    schema = f"itest_{uuid.uuid4().hex[:8]}"
    pg = Settings(
        data_dir=tmp_path,
        lsh_backend="postgres",
        lsh_postgres_url=postgres_url,
        lsh_postgres_schema=schema,
        lsh_bucket_bits=bits,
    )
    try:
        with (
            Corpus.open(tmp_path / "sq", Settings(data_dir=tmp_path), create=True, namespace="eq") as sq,
            Corpus.open(tmp_path / "pg", pg, create=True, namespace="eq") as pc,
        ):
            for c in (sq, pc):
                c.add(records[:10])
                c.add(records[10:20])  # a second generation before compaction
                c.remove([records[3].id])
            texts = [r.text for r in records[:24]] + ["\n".join(r.text for r in records[2:8])]
            from integrity.text import match_key

            keys = [match_key(t).text for t in texts]
            expected = [sq.lsh.query(sq.query_bands(k)) for k in keys]
            assert any(len(e) > 1 for e in expected)
            assert [pc.lsh.query(pc.query_bands(k)) for k in keys] == expected
            pc.lsh.compact()
            assert [pc.lsh.query(pc.query_bands(k)) for k in keys] == expected
    finally:
        _pg_drop_schema(postgres_url, schema)
