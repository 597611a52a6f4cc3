"""Bulk import: interrupted (KeyboardInterrupt, and SIGKILL of the real CLI) and resumed, the corpus and its
index end exactly as a one-shot import of the same file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from integrity.corpus import Corpus, CorpusRecord
from integrity.corpus.imports import PagedImports, default_checkpoint, import_jsonl
from integrity.errors import CorpusError
from integrity.settings import Settings


def _jsonl(path: Path, records: list[CorpusRecord]) -> Path:
    path.write_text(
        "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def _state(c: Corpus) -> tuple[list[tuple[str, int]], int]:
    return [(d["id"], d["chars"]) for d in c.list()], c.lsh.entries()


def _many(records: list[CorpusRecord], copies: int) -> list[CorpusRecord]:
    return [replace(r, id=f"{r.id}-{k}") for k in range(copies) for r in records]


def test_interrupted_import_resumes_to_the_exact_index(tmp_path: Path, records: list[CorpusRecord]) -> None:
    settings = Settings(data_dir=tmp_path)
    recs = _many(records[:10], 2)
    src = _jsonl(tmp_path / "big.jsonl", recs)
    with Corpus.open(tmp_path / "once", settings, create=True) as c:
        c.add(recs)
        expected = _state(c)
    cp = default_checkpoint(tmp_path / "resumed", src)
    seen = []

    def stop_after_two_batches(n: int) -> None:
        seen.append(n)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with Corpus.open(tmp_path / "resumed", settings, create=True) as c:
        with pytest.raises(KeyboardInterrupt):
            import_jsonl(c, src, cp, batch=3, progress=stop_after_two_batches)
        assert len(c) == 6 and json.loads(cp.read_text())["records"] == 6
        done = import_jsonl(c, src, cp, batch=3)
        assert done.records == len(recs) and not cp.exists()
        assert _state(c) == expected


def test_a_bad_line_names_its_place_and_keeps_earlier_batches(
    tmp_path: Path, records: list[CorpusRecord]
) -> None:
    src = _jsonl(tmp_path / "x.jsonl", records[:4])
    with src.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    cp = tmp_path / "cp.json"
    with Corpus.open(tmp_path / "c", Settings(data_dir=tmp_path), create=True) as c:
        with pytest.raises(CorpusError, match="不是有效的 JSON"):
            import_jsonl(c, src, cp, batch=2)
        assert len(c) == 4 and json.loads(cp.read_text())["records"] == 4


def test_killed_cli_import_resumes(tmp_path: Path, records: list[CorpusRecord]) -> None:
    recs = _many(records[:20], 4)
    src = _jsonl(tmp_path / "corpus.jsonl", recs)
    corpus = tmp_path / "corpus"
    cp = tmp_path / "cp.json"
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(tmp_path)}
    cmd = [
        str(Path(sys.executable).parent / "integrity"),
        "corpus",
        "import",
        str(src),
        "--corpus",
        str(corpus),
    ]
    cmd += ["--batch", "2", "--checkpoint", str(cp), "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while not cp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cp.exists(), "the import finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(60)
    partial = json.loads(cp.read_text())["records"]
    assert 0 < partial < len(recs)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert f"比对库现有 {len(recs)} 篇" in out.stdout and not cp.exists()
    settings = Settings(data_dir=tmp_path)
    with Corpus.open(tmp_path / "once", settings, create=True) as once:
        once.add(recs)
        expected = _state(once)
    with Corpus.open(corpus, settings) as c:
        assert _state(c) == expected


def test_paged_import_is_idempotent_per_page(tmp_path: Path, records: list[CorpusRecord]) -> None:
    imports = PagedImports(tmp_path / "imports")
    with Corpus.open(tmp_path / "c", Settings(data_dir=tmp_path), create=True) as c:
        state, applied = imports.put_page(c, "y2024", 2, records[3:6], total_pages=3)
        assert applied and state.summary()["missing_pages"] == [1, 3]
        state, applied = imports.put_page(c, "y2024", 2, records[3:6])
        assert not applied
        imports.put_page(c, "y2024", 1, records[0:3])
        state, _ = imports.put_page(c, "y2024", 3, records[6:7])
        s = state.summary()
        assert s["complete"] and s["documents"] == 7 and s["pages"] == [1, 2, 3] and len(c) == 7
        with pytest.raises(CorpusError):
            imports.put_page(c, "../x", 1, records[:1])
