"""``integrity check PAPER --corpus DIR --format json``: the exact JSON contract and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrity.corpus.conftest import load_abstracts

BIN = [sys.executable, "-m", "integrity"]

SIMILARITY_KEYS = {
    "total_copy_ratio",
    "copied_chars",
    "total_chars",
    "copy_ratio_excluding_references",
    "copy_ratio_excluding_self",
    "max_single_source_ratio",
    "sources",
    "sections",
    # issue 11: CNKI counts
    "quoted_chars",
    "references_chars",
    "paragraphs_total",
    "paragraphs_suspect",
    "front_overlap_chars",
    "rear_overlap_chars",
}
SOURCE_KEYS = {"doc_id", "title", "ratio", "copied_chars", "passages", "authors", "year", "is_self"}
SOURCE_KEYS |= {"corpus"}  # issue 13: the 比对库 each source came from (an extension)
PASSAGE_KEYS = {"start", "end", "source_start", "source_end", "text", "source_text", "language", "also_in"}


def run(*args: str | Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(data_dir)}
    return subprocess.run([*BIN, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def _join(abstracts: list[dict]) -> str:
    return "\n".join(a["text"] for a in abstracts)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("check")
    abstracts = load_abstracts(shared_dir, 40, offset=3000)
    recs: list[dict[str, object]] = [
        {"id": f"s{i}", "title": f"来源{i}", "text": _join(abstracts[i * 4 : i * 4 + 4])} for i in range(5)
    ]
    recs[1]["authors"] = ["李四"]
    jl = tmp / "c.jsonl"
    jl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    corpus = tmp / "corpus"
    assert run("corpus", "add", "--corpus", corpus, jl, "-q", data_dir=tmp).returncode == 0
    own = "\n".join(a["text"] for a in abstracts[20:36])
    copied0 = abstracts[1]["text"]
    copied1 = abstracts[5]["text"]
    cut = own.index("\n", len(own) // 3) + 1
    # traditional characters and CRLF line endings: offsets must still point into the decoded text
    # the reference list repeats copied1: never counted as copying (issue 11), the body copy is
    body = "论文题目\r\n" + own[:cut] + copied0 + "\r\n" + own[cut:] + "\r\n" + copied1
    body += "\r\n参考文献\r\n" + copied1 + "\r\n"
    paper = tmp / "paper.txt"
    paper.write_bytes(body.encode("gb18030"))
    return {"tmp": tmp, "corpus": corpus, "paper": paper, "body": body, "copied0": copied0, "recs": recs}


def test_json_contract(setup: dict) -> None:
    tmp, corpus, paper = setup["tmp"], setup["corpus"], setup["paper"]
    args = ("check", paper, "--corpus", corpus, "--format", "json", "--no-verdict", "--author", "李四")
    r = run(*args, data_dir=tmp)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"schema_version", "engine", "paper", "corpus", "similarity"} <= set(out)
    assert out["corpus"]["documents"] == 5 and out["corpus"]["corpus_id"]
    sim = out["similarity"]
    assert set(sim) == SIMILARITY_KEYS
    decoded = paper.read_bytes().decode("gb18030")
    assert decoded == setup["body"]
    assert sim["total_chars"] == sum(1 for ch in decoded if not ch.isspace())
    assert 0 < sim["total_copy_ratio"] <= 1 and isinstance(sim["copied_chars"], int)
    assert sim["copy_ratio_excluding_references"] <= sim["total_copy_ratio"]
    refs_at = decoded.rindex("参考文献")
    assert all(p["end"] <= refs_at for s in sim["sources"] for p in s["passages"])
    assert sim["references_chars"] > len(setup["copied0"]) // 2 and sim["paragraphs_suspect"] >= 2
    ids = [s["doc_id"] for s in sim["sources"]]
    assert ids == sorted(ids, key=lambda i: -next(s["ratio"] for s in sim["sources"] if s["doc_id"] == i))
    assert set(ids) == {"s0", "s1"}
    for src in sim["sources"]:
        assert set(src) == SOURCE_KEYS
        rec = next(r for r in setup["recs"] if r["id"] == src["doc_id"])
        for p in src["passages"]:
            assert set(p) == PASSAGE_KEYS
            assert p["text"] == decoded[p["start"] : p["end"]]
            assert p["source_text"] == rec["text"][p["source_start"] : p["source_end"]]
    s0 = next(s for s in sim["sources"] if s["doc_id"] == "s0")
    (p0,) = s0["passages"]
    assert abs(p0["start"] - decoded.index(setup["copied0"])) <= 2
    assert next(s for s in sim["sources"] if s["doc_id"] == "s1")["is_self"] is True
    assert sim["copy_ratio_excluding_self"] == s0["ratio"]
    assert sim["max_single_source_ratio"] == max(s["ratio"] for s in sim["sources"])
    # the text report is Chinese and names the figures
    r = run("check", paper, "--corpus", corpus, "--format", "text", "--no-verdict", data_dir=tmp)
    assert r.returncode == 0 and "总文字复制比" in r.stdout and "来源0" in r.stdout


@pytest.mark.parametrize(
    ("content", "exit_code", "needle"),
    [
        (b"", 2, "空"),
        (b"\x00\x01\x02\x03binary\x00\xff\xfe\x00" * 200, 2, "二进制"),
        (b"2024-01-02 3.14159 42 ... 17 " * 30, 2, "字母"),  # English is checked (issue 11)
    ],
)
def test_bad_paper_is_clear_error(setup: dict, content: bytes, exit_code: int, needle: str) -> None:
    tmp = setup["tmp"]
    paper = tmp / "bad.txt"
    paper.write_bytes(content)
    r = run("check", paper, "--corpus", setup["corpus"], "--format", "json", "--no-verdict", data_dir=tmp)
    assert r.returncode == exit_code
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""


def test_missing_corpus_is_clear_error(setup: dict) -> None:
    tmp = setup["tmp"]
    r = run("check", setup["paper"], "--corpus", tmp / "nope", "--format", "json", data_dir=tmp)
    assert r.returncode == 3 and "比对库不存在" in r.stderr and "Traceback" not in r.stderr
