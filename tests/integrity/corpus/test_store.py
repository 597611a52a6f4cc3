"""Corpus store: add/replace/remove, reopen without rebuild, transactional failure, bad directories."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.corpus.fingerprint import MinHasher, kgram_hashes, shingle_hash32
from integrity.errors import CorpusError
from integrity.settings import Settings


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(data_dir=tmp_path, **kw)  # type: ignore[arg-type]


def test_add_list_get_replace_remove_and_reopen(tmp_path: Path, records: list[CorpusRecord]) -> None:
    s = _settings(tmp_path)
    d = tmp_path / "c"
    seen: list[int] = []
    with Corpus.open(d, s, create=True) as c:
        assert c.add(records[:10], progress=seen.append) == 10
        assert sum(seen) == 10 and len(c) == 10
        info = c.describe()
        assert info["documents"] == 10 and info["version"] == 1
    with Corpus.open(d, s) as c:  # reopened: nothing rebuilt, same corpus
        assert len(c) == 10
        assert c.describe()["corpus_id"] == info["corpus_id"]
        rec = c.get("doc-003")
        assert rec is not None and rec.text == records[3].text and rec.authors == ["作者3"]
        listed = c.list()
        assert [x["id"] for x in listed][:2] == ["doc-000", "doc-001"]
        assert listed[0]["chars"] == len(records[0].text)
        # a chunk of doc-005 retrieves doc-005 through the stored index
        probe = records[5].text[300:700]
        from integrity.text import match_key

        ids = {c.load([k])[0].record.id for k, _ in c.candidates(match_key(probe).text, 5)}
        assert "doc-005" in ids
        # re-adding an id replaces it (and its index entries)
        new = CorpusRecord("doc-005", "新标题", records[20].text, [], None)
        c.add([new])
        assert len(c) == 10
        got = c.get("doc-005")
        assert got is not None and got.title == "新标题"
        entries_before = c.stats()["lsh_entries"]
        assert c.remove(["doc-005", "nope"]) == 1
        assert c.get("doc-005") is None and len(c) == 9
        st = c.stats()
        assert 0 < st["lsh_entries"] < entries_before
        assert st["index_bytes_per_document"] > 0 and st["documents"] == 9
    with Corpus.open(d, s) as c:  # removed documents leave no band rows behind
        rowids = {r[0] for r in c.conn.execute("SELECT rowid FROM docs")}
        docs_in_index = {r[0] for r in c.conn.execute("SELECT DISTINCT doc FROM lsh")}
        assert docs_in_index == rowids


def test_failed_add_leaves_corpus_intact(tmp_path: Path, records: list[CorpusRecord]) -> None:
    s = _settings(tmp_path)
    d = tmp_path / "c"
    with Corpus.open(d, s, create=True) as c:
        c.add(records[:5])
        before = c.stats()

        def bad() -> object:
            yield records[6]
            yield CorpusRecord("doc-000", "replaced", records[7].text, [], None)
            yield CorpusRecord("empty", "empty", "   ", [], None)

        with pytest.raises(CorpusError):
            c.add(bad())  # type: ignore[arg-type]
        after = c.stats()
        assert after["documents"] == before["documents"] == 5
        assert after["lsh_entries"] == before["lsh_entries"]
        assert after["version"] == before["version"]
        got = c.get("doc-000")
        assert got is not None and got.text == records[0].text
        assert c.get("doc-006") is None


def test_missing_and_corrupt_corpus_directory(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with pytest.raises(CorpusError, match="比对库不存在"):
        Corpus.open(tmp_path / "missing", s)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "corpus.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(CorpusError, match="损坏"):
        Corpus.open(bad, s)
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / "corpus.sqlite")
    conn.execute("CREATE TABLE x (a)")
    conn.commit()
    conn.close()
    with pytest.raises(CorpusError, match="损坏"):
        Corpus.open(other, s)


def test_params_fixed_per_corpus(tmp_path: Path, records: list[CorpusRecord]) -> None:
    d = tmp_path / "c"
    with Corpus.open(d, _settings(tmp_path, chunk_chars=150), create=True) as c:
        c.add(records[:2])
    with Corpus.open(d, _settings(tmp_path, chunk_chars=400)) as c:
        assert c.params.chunk_chars == 150


def test_signatures_identical_to_datasketch() -> None:
    from datasketch import MinHash

    key = "根据湖泊水环境系统的不确定性建立了基于随机模拟和三角模糊数的湖泊水体富营养化评价耦合模型" * 2
    spans = [(0, 30), (10, 60), (0, len(key))]
    sig = MinHasher(64).signatures(key, spans)
    hv = shingle_hash32(kgram_hashes(key, 3))
    for (s, e), row in zip(spans, sig, strict=True):
        m = MinHash(num_perm=64, seed=1, hashfunc=lambda x: x)
        m.update_batch([int(v) for v in hv[s : e - 2]])
        assert np.array_equal(m.hashvalues, row)


def test_same_id_twice_in_one_import_keeps_last(tmp_path: Path, records: list[CorpusRecord]) -> None:
    with Corpus.open(tmp_path / "c", _settings(tmp_path), create=True) as c:
        first = CorpusRecord("x", "first", records[0].text, [], None)
        second = CorpusRecord("x", "second", records[1].text, [], None)
        assert c.add([first, records[2], second]) == 3
        assert len(c) == 2
        got = c.get("x")
        assert got is not None and got.title == "second"
        rowids = {r[0] for r in c.conn.execute("SELECT rowid FROM docs")}
        assert {r[0] for r in c.conn.execute("SELECT DISTINCT doc FROM lsh")} == rowids


def test_one_corpus_shared_by_threads(tmp_path: Path, records: list[CorpusRecord]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from integrity.match import compare

    with Corpus.open(tmp_path / "c", _settings(tmp_path), create=True) as c:
        c.add(records[:12])

        def check(i: int) -> str:
            rep = compare(records[i].text[100:900], c, include_text=False)
            return rep.sources[0].doc_id

        with ThreadPoolExecutor(4) as pool:
            writer = pool.submit(c.add, records[20:26])
            got = list(pool.map(check, range(12)))
            assert writer.result() == 6
        assert got == [f"doc-{i:03d}" for i in range(12)]
        assert len(c) == 18


def test_concurrent_first_open_creates_schema_once(tmp_path: Path) -> None:
    """Two processes creating the same new corpus at once: both open it, neither fails."""
    import subprocess
    import sys
    from subprocess import PIPE

    code = (
        "import sys; from pathlib import Path; from integrity.corpus import Corpus\n"
        "with Corpus.open(Path(sys.argv[1]), create=True) as c: print(len(c))\n"
    )
    target = tmp_path / "shared-corpus"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=PIPE, stderr=PIPE)
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [e.decode() for _, e in outs]
    assert all(o.strip() == b"0" for o, _ in outs)


def test_corpus_of_an_older_format_asks_for_a_reimport(tmp_path: Path) -> None:
    """Issue 11 changed the on-disk format (word tokens, fingerprint table): a clear zh-CN error."""
    s = Settings(data_dir=tmp_path)
    with Corpus.open(tmp_path / "c", s, create=True) as c:
        c.add([CorpusRecord("a", "t", "本文研究了一种新的方法，并取得了很好的效果。" * 5)])
        assert c.stats()["fingerprint_entries"] > 0
    conn = sqlite3.connect(tmp_path / "c" / "corpus.sqlite")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    conn.commit()
    conn.close()
    with pytest.raises(CorpusError) as ei:
        Corpus.open(tmp_path / "c", s)
    assert ei.value.code == "corpus_format_outdated"
    assert "重新导入" in str(ei.value)
