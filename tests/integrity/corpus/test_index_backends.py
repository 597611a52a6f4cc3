"""The ``BandIndex`` contract on every backend (real SQLite, Redis and PostgreSQL): adds, deletes and
re-adds leave exactly the index a fresh build of the final documents has (LSH bands and sentence
fingerprints); a failed batch leaves nothing; the ``max_df`` cut is exact; a format-2 corpus (fingerprints in
a SQLite table) is upgraded in place to the fresh build's index."""

from __future__ import annotations

import ast
import random
import sqlite3
import subprocess
import sys
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.corpus.index import BACKENDS, BandIndex, open_index
from integrity.corpus.winnow import MAX_DF, fingerprints
from integrity.errors import CorpusError
from integrity.settings import REPO_ROOT, Settings


def _pg_drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _pg_settings(tmp_path: Path, url: str, schema: str, bits: int, partitions: int = 1) -> Settings:
    return Settings(
        data_dir=tmp_path,
        lsh_backend="postgres",
        lsh_postgres_url=url,
        lsh_postgres_schema=schema,
        lsh_bucket_bits=bits,
        lsh_partitions=partitions,
    )


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
        # small buckets: several documents share buckets, so deletes must filter segments
        yield _pg_settings(tmp_path, url, schema, bits=12, partitions=4)
        _pg_drop_schema(url, schema)


def _candidate_ids(c: Corpus, text: str) -> list[str]:
    from integrity.text import match_key

    hits = c.candidates(match_key(text).text, 50)
    docs = c.load([k for k, _ in hits], full=False)
    return sorted(d.record.id for d in docs)


def _sentence_hits(c: Corpus, text: str) -> dict[str, int]:
    """Sentence-fingerprint candidates as {document id: shared fingerprints} (keys are backend-neutral)."""
    from integrity.text import match_key

    hits = dict(c.sentence_candidates(match_key(text).text, 50))
    return {d.record.id: hits[d.rowid if c.fp.keys_are_rowids else d.record.id] for d in c.load(list(hits))}


def _keys(c: Corpus) -> list[object]:
    return [r[0] if c.fp.keys_are_rowids else r[1] for r in c.conn.execute("SELECT rowid, id FROM docs")]


def _probes(records: list[CorpusRecord]) -> list[str]:
    """Whole documents and single sentences (what the fingerprints exist for)."""
    return [r.text for r in records[:14]] + [r.text[300:340] for r in records[:14]]


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
        churn_fp = c.fp.entries()
        churn_sentences = [_sentence_hits(c, t) for t in _probes(records)]
        c.lsh.compact()  # the query-optimal layout holds the same entries
        assert c.lsh.entries() == churn_entries
        assert {r.id: _candidate_ids(c, r.text) for r in records[:14]} == churn_hits
        c.fp.compact()
        assert c.fp.entries() == churn_fp
        c.remove(["doc-007"])
        c.add([records[7]])  # delete and re-add after compaction
        assert c.lsh.entries() == churn_entries
        assert c.fp.entries() == churn_fp
        assert [_sentence_hits(c, t) for t in _probes(records)] == churn_sentences
        assert c.describe()["lsh_backend"] == backend_settings.lsh_backend
        assert c.stats()["fingerprint_entries"] == churn_fp
    with Corpus.open(tmp_path / "fresh", backend_settings, create=True, namespace="fresh") as f:
        f.add(final)
        assert f.lsh.entries() == churn_entries
        assert {r.id: _candidate_ids(f, r.text) for r in records[:14]} == churn_hits
        assert f.fp.entries() == churn_fp == sum(len(fingerprints(f.load([k])[0].key.text)) for k in _keys(f))
        assert [_sentence_hits(f, t) for t in _probes(records)] == churn_sentences
    assert any(len(h) > 1 for h in churn_sentences)  # documents share sentences: counts are compared
    assert churn_sentences[12].get("doc-009", 0) > 0  # the replacement's fingerprints are found
    assert all("doc-010" not in h and "doc-011" not in h for h in churn_sentences)
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


def test_max_df_cut_is_exact_on_every_backend(backend_settings: Settings, tmp_path: Path) -> None:
    """A hash held by more than ``max_df`` documents counts for nobody; one held by exactly ``max_df``
    counts; without ``max_df`` every shared hash counts. Hashes share PostgreSQL buckets (12 bits)."""
    rng = np.random.default_rng(7)
    common = rng.integers(-(2**63), 2**63 - 1, size=3, dtype=np.int64)  # held by 5, 3 and 2 documents
    own = rng.integers(-(2**63), 2**63 - 1, size=(6, 40), dtype=np.int64)
    holders = {0: range(5), 1: range(3), 2: range(2)}
    conn = sqlite3.connect(tmp_path / "i.sqlite", isolation_level=None)
    index = open_index(backend_settings.lsh_backend, backend_settings, conn, "df", "dfkind")
    try:
        for doc in range(6):
            mine = [common[i] for i, who in holders.items() if doc in who]
            index.add(doc + 1, f"d{doc + 1}", np.array([*mine, *own[doc]], dtype=np.int64))
        conn.execute("BEGIN")
        index.flush()
        conn.execute("COMMIT")
        index.commit()

        def ask(hashes: np.ndarray, max_df: int | None) -> dict[str, int]:
            got = index.query(hashes, max_df=max_df)
            return {(f"d{k}" if index.keys_are_rowids else str(k)): n for k, n in got.items()}

        probe = np.concatenate([common, own[0][:4], own[5][:1]])
        assert ask(probe, None) == {"d1": 7, "d2": 3, "d3": 2, "d4": 1, "d5": 1, "d6": 1}
        assert ask(probe, 3) == {"d1": 6, "d2": 2, "d3": 1, "d6": 1}  # the 5-document hash is cut
        assert ask(probe, 2) == {"d1": 5, "d2": 1, "d6": 1}  # a hash held by exactly max_df counts
        assert ask(probe, 1) == {"d1": 4, "d6": 1}
        assert ask(probe[:3], 0) == {}
        assert ask(np.concatenate([probe, probe]), 2) == ask(probe, 2)  # distinct query hashes
        index.compact()
        assert ask(probe, 3) == {"d1": 6, "d2": 2, "d3": 1, "d6": 1}
        index.remove(1, "d1", np.array([common[0], common[1], common[2], *own[0]], dtype=np.int64))
        conn.execute("BEGIN")
        index.flush()
        conn.execute("COMMIT")
        index.commit()
        assert ask(probe, 4) == {"d2": 3, "d3": 2, "d4": 1, "d5": 1, "d6": 1}  # now held by 4: counts
        assert ask(probe, 3) == {"d2": 2, "d3": 1, "d6": 1}
    finally:
        index.clear()
        index.close()
        conn.close()


def test_sentence_candidates_ignore_stock_phrases(
    backend_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    """A sentence in ``MAX_DF`` documents still finds them; in one more it is a stock phrase."""
    from integrity.text import match_key

    stock = "本研究采用问卷调查与深度访谈相结合的方法对样本数据进行了系统的统计分析与讨论。"
    own = "".join(r.text for r in records)
    docs = [
        CorpusRecord(f"s{i:03d}", "t", own[i * 200 : (i + 1) * 200] + stock + own[i * 200 + 5 : i * 200 + 60])
        for i in range(MAX_DF + 1)
    ]
    probe = match_key(stock).text
    with Corpus.open(tmp_path / "c", backend_settings, create=True, namespace="df") as c:
        c.add(docs[:MAX_DF])
        assert len(c.sentence_candidates(probe, 100)) == MAX_DF
        c.add(docs[MAX_DF:])
        assert c.sentence_candidates(probe, 100) == []
        assert [k for k, _ in c.sentence_candidates(match_key(docs[3].text).text, 1)] == _keys(c)[3:4]
        c.remove(["s000"])  # held by MAX_DF documents again: evidence again
        assert len(c.sentence_candidates(probe, 100)) == MAX_DF


def _downgrade_to_format_2(c: Corpus) -> int:
    """Turn a corpus into what the format-2 engine wrote: fingerprints as rows ``fp(h, doc)`` (31-bit
    ``h``, the rowid) in the SQLite file, the ``"fp"`` index empty, ``format_version`` 2."""
    rows = [
        (int(h), int(rowid))
        for rowid, key in c.conn.execute("SELECT rowid, key FROM docs")
        for h in fingerprints(zlib.decompress(key).decode("utf-8"))
    ]
    c.fp.clear()
    c.reword.clear()  # format 2 had no reworded-English index either
    c.conn.execute("DROP TABLE IF EXISTS idx_fp")
    c.conn.execute(
        "CREATE TABLE fp (h INTEGER NOT NULL, doc INTEGER NOT NULL, PRIMARY KEY (h, doc)) WITHOUT ROWID"
    )
    c.conn.executemany("INSERT INTO fp VALUES (?, ?)", rows)
    c.conn.execute("UPDATE meta SET value = '2' WHERE key = 'format_version'")
    return len(rows)


def test_format_2_corpus_is_upgraded_in_place(
    backend_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    """An existing corpus keeps working after the upgrade: its fingerprints move to the corpus's index
    engine, equal to a fresh build's, even after an interrupted earlier attempt left stray entries."""
    final = records[:10]
    with Corpus.open(tmp_path / "fresh", backend_settings, create=True, namespace="fresh") as f:
        f.add(final)
        fresh_fp = f.fp.entries()
        fresh_sentences = [_sentence_hits(f, t) for t in _probes(records)]
    with Corpus.open(tmp_path / "old", backend_settings, create=True, namespace="old") as c:
        c.add(records[:12])
        c.remove(["doc-010", "doc-011"])
        assert _downgrade_to_format_2(c) == fresh_fp
    conn = sqlite3.connect(tmp_path / "old" / "corpus.sqlite", isolation_level=None)
    stray = np.array([123, -456], dtype=np.int64)  # as if an earlier upgrade died half-way
    index = open_index(backend_settings.lsh_backend, backend_settings, conn, "old", "fp")
    index.add(999, "doc-999", stray)
    conn.execute("BEGIN")
    index.flush()
    conn.execute("COMMIT")
    index.commit()
    assert index.entries() == 2
    index.close()
    conn.close()
    with Corpus.open(tmp_path / "old", backend_settings, namespace="old") as c:
        tables = {r[0] for r in c.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "fp" not in tables
        assert c._meta("format_version") == "4"
        assert c.fp.entries() == fresh_fp
        assert [_sentence_hits(c, t) for t in _probes(records)] == fresh_sentences
        assert c.fp.query(stray) == {}
        c.add([records[10]])  # the upgraded corpus takes writes like a fresh one
        assert c.fp.entries() > fresh_fp
    with Corpus.open(tmp_path / "old", backend_settings, namespace="old") as c:  # nothing to redo
        assert c._meta("format_version") == "4" and c.fp.entries() > fresh_fp


def _english_records(n: int) -> list[CorpusRecord]:
    """Small English documents (the reworded-English index only holds English sentences)."""
    rng = random.Random(7)
    words = [
        "analysis",
        "river",
        "sediment",
        "transport",
        "model",
        "flood",
        "basin",
        "rainfall",
        "measurement",
        "station",
        "network",
        "climate",
        "variation",
        "estimate",
        "channel",
        "erosion",
        "discharge",
        "season",
        "pattern",
        "survey",
        "regional",
        "water",
        "quality",
        "index",
    ]
    docs = []
    for d in range(n):
        sentences = [" ".join(rng.sample(words, 9)).capitalize() + "." for _ in range(6)]
        docs.append(CorpusRecord(f"en-{d:02d}", f"English {d}", " ".join(sentences)))
    return docs


def _reword_hits(c: Corpus, text: str) -> dict[str, int]:
    hits = dict(c.reword_candidates(text, 50))
    return {
        d.record.id: hits[d.rowid if c.reword.keys_are_rowids else d.record.id] for d in c.load(list(hits))
    }


def test_format_3_corpus_gets_its_reworded_english_index_in_place(
    backend_settings: Settings, tmp_path: Path, records: list[CorpusRecord]
) -> None:
    """A format-3 corpus (before the ``enpairs`` index existed) is upgraded on open: the index equals a
    fresh build's, and the corpus answers reworded-English queries as a fresh one does."""
    final = [*records[:3], *_english_records(6)]
    probes = [" ".join(reversed(r.text.split())) for r in final[3:]]  # shuffled words: only enpairs finds
    with Corpus.open(tmp_path / "fresh", backend_settings, create=True, namespace="fresh3") as f:
        f.add(final)
        fresh = f.reword.entries()
        fresh_hits = [_reword_hits(f, p) for p in probes]
    assert fresh > 0 and all(fresh_hits)
    with Corpus.open(tmp_path / "old", backend_settings, create=True, namespace="old3") as c:
        c.add(final)
        c.reword.clear()
        c.conn.execute("UPDATE meta SET value = '3' WHERE key = 'format_version'")
    with Corpus.open(tmp_path / "old", backend_settings, namespace="old3") as c:
        assert c._meta("format_version") == "4"
        assert c.reword.entries() == fresh
        assert [_reword_hits(c, p) for p in probes] == fresh_hits


def test_concurrent_opens_of_a_format_2_corpus_upgrade_it_once(
    tmp_path: Path, records: list[CorpusRecord]
) -> None:
    """Several processes opening an old corpus at once (API workers): one upgrades, the others wait."""
    s = Settings(data_dir=tmp_path)
    with Corpus.open(tmp_path / "c", s, create=True) as c:
        c.add(records[:10])
        fresh_fp = c.fp.entries()
        _downgrade_to_format_2(c)
    code = (
        "import sys; from pathlib import Path; from integrity.corpus import Corpus\n"
        "with Corpus.open(Path(sys.argv[1])) as c: print(c.fp.entries())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "c")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e.decode() for _, e in outs]
    assert [int(o) for o, _ in outs] == [fresh_fp] * 4


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
    pg = _pg_settings(tmp_path, postgres_url, schema, bits)
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


@pytest.mark.parametrize("partitions", [1, 3])
def test_postgres_bucket_rows_of_a_few_kilobytes_stay_in_the_heap(
    postgres_url: str, tmp_path: Path, partitions: int
) -> None:
    """At 10^6 documents a 22-bit bucket row holds ~380 entries (3 KB), above PostgreSQL's 2 KB TOAST
    threshold: the table keeps such rows inline, so a query reads one heap page per bucket instead of a
    TOAST index descent and chunks. Here 8-bit buckets and 60 documents make rows of ~3 KB."""
    import psycopg

    from integrity.corpus.pg_index import PostgresLsh

    schema = f"itest_{uuid.uuid4().hex[:8]}"
    index = PostgresLsh.from_settings(_pg_settings(tmp_path, postgres_url, schema, 8, partitions), "toast")
    try:
        rng = np.random.default_rng(5)
        for rowid in range(1, 61):
            index.add(rowid, f"d{rowid}", rng.integers(-(2**63), 2**63 - 1, 1600, dtype=np.int64))
        index.commit()
        index.compact()
        with psycopg.connect(postgres_url.replace("+psycopg", "")) as conn:
            longest = conn.execute(f'SELECT max(length(seg)) FROM "{schema}"."{index.table}"').fetchone()
            toasted = conn.execute(
                "SELECT COALESCE(SUM(pg_relation_size(c.reltoastrelid)), 0) FROM pg_class c JOIN"
                " pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.reltoastrelid <> 0",
                (schema,),
            ).fetchone()
        assert longest is not None and longest[0] > 2400
        assert toasted == (0,)
        assert index.query(rng.integers(-(2**63), 2**63 - 1, 10, dtype=np.int64)) is not None
    finally:
        index.close()
        _pg_drop_schema(postgres_url, schema)


@pytest.mark.parametrize("partitions", [1, 3])
def test_postgres_a_batch_committed_while_compaction_waits_is_kept(
    postgres_url: str, tmp_path: Path, partitions: int
) -> None:
    """Compaction rewrites the table from a snapshot. A writer whose batch is in flight when compaction
    starts must not lose it: before, the snapshot missed the batch and the later TRUNCATE then removed
    it, so the committed documents were no longer found. Compaction now waits for writers first."""
    import threading
    import time

    import psycopg

    from integrity.corpus.pg_index import PostgresLsh

    schema = f"itest_{uuid.uuid4().hex[:8]}"
    settings = _pg_settings(tmp_path, postgres_url, schema, 8, partitions)
    rng = np.random.default_rng(11)
    docs = {rowid: rng.integers(-(2**63), 2**63 - 1, 200, dtype=np.int64) for rowid in range(1, 7)}
    compactor = PostgresLsh.from_settings(settings, "race")
    writer = PostgresLsh.from_settings(settings, "race")
    try:
        for rowid in (1, 2, 3):
            compactor.add(rowid, f"d{rowid}", docs[rowid])
        compactor.commit()
        for rowid in (4, 5, 6):
            writer.add(rowid, f"d{rowid}", docs[rowid])
        writer.flush()  # rows written, transaction still open
        pid = compactor.conn.info.backend_pid
        thread = threading.Thread(target=compactor.compact)
        thread.start()
        with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as watch:
            for _ in range(200):  # until the compaction waits on the writer's lock
                waiting = watch.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
                ).fetchone()
                if waiting == ("Lock",):
                    break
                time.sleep(0.05)
            assert waiting == ("Lock",)
        writer.commit()
        thread.join(30)
        assert not thread.is_alive()
        for rowid, hashes in docs.items():
            assert compactor.query(hashes)[rowid] == len(np.unique(hashes)), rowid
    finally:
        writer.close()
        compactor.close()
        _pg_drop_schema(postgres_url, schema)
