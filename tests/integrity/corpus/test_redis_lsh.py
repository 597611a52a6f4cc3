"""Scale-out LSH backend against the real Redis: plain string ids in sets, namespace isolation, rollback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.errors import CorpusError
from integrity.settings import Settings
from integrity.text import match_key


@pytest.fixture()
def redis_settings(redis_url: str, tmp_path: Path) -> Iterator[Settings]:
    import redis

    prefix = f"itest-{uuid.uuid4().hex[:8]}"
    yield Settings(data_dir=tmp_path, lsh_backend="redis", redis_url=redis_url, redis_key_prefix=prefix)
    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(match=f"{prefix}:*"))
    if keys:
        r.delete(*keys)


def test_redis_backend_namespaces_and_plain_members(
    redis_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    import redis

    r = redis.Redis.from_url(redis_settings.redis_url, decode_responses=True)
    prefix = redis_settings.redis_key_prefix
    with Corpus.open(tmp_path / "t1", redis_settings, create=True, namespace="tenant1") as c1:
        c1.add(records[:6])
        assert c1.describe()["lsh_backend"] == "redis"
    with Corpus.open(tmp_path / "t2", redis_settings, create=True, namespace="tenant2") as c2:
        c2.add(records[10:14])
    keys1 = list(r.scan_iter(match=f"{prefix}:tenant1:*"))
    keys2 = list(r.scan_iter(match=f"{prefix}:tenant2:*"))
    assert keys1 and keys2
    assert set(keys1) | set(keys2) == set(r.scan_iter(match=f"{prefix}:*"))
    members = set().union(*(r.smembers(k) for k in keys1[:50]))
    assert members <= {f"doc-{i:03d}" for i in range(6)}  # plain ids, no pickled blobs

    probe = match_key(records[2].text[200:600]).text
    with Corpus.open(tmp_path / "t1", redis_settings, namespace="tenant1") as c1:
        hits = c1.candidates(probe, 5)
        assert hits and hits[0][0] == "doc-002"
        assert c1.load([hits[0][0]])[0].record.id == "doc-002"
        before = c1.stats()["lsh_entries"]

        def bad() -> Iterator[CorpusRecord]:
            yield records[7]
            yield CorpusRecord("x", "x", "", [], None)

        with pytest.raises(CorpusError):
            c1.add(bad())
        assert c1.stats()["lsh_entries"] == before  # the Redis writes were undone
        assert c1.remove(["doc-002"]) == 1
        assert all(k != "doc-002" for k, _ in c1.candidates(probe, 5))
    with Corpus.open(tmp_path / "t2", redis_settings, namespace="tenant2") as c2:
        assert all(k.startswith("doc-01") for k, _ in c2.candidates(probe, 5))  # tenant1's docs invisible


def test_redis_unavailable_is_a_corpus_error(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, lsh_backend="redis", redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(CorpusError, match="Redis"):
        Corpus.open(tmp_path / "c", s, create=True)
