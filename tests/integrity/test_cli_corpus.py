"""``integrity corpus add|list|remove|stats`` through the real CLI (subprocess): contract and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrity.corpus.conftest import load_abstracts

BIN = [sys.executable, "-m", "integrity"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(cwd or Path.cwd())}
    return subprocess.run([*BIN, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture()
def inputs(tmp_path: Path, shared_dir: Path) -> dict[str, Path]:
    abstracts = load_abstracts(shared_dir, 12, offset=500)
    jl = tmp_path / "corpus.jsonl"
    with jl.open("w", encoding="utf-8") as f:
        for i in range(4):
            rec = {
                "id": f"j{i}",
                "title": f"标题{i}",
                "text": "\n".join(a["text"] for a in abstracts[i * 2 : i * 2 + 2]),
                "authors": ["张三"] if i == 0 else [],
                "year": 2018,
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "t1.txt").write_text("论文题目一\n" + abstracts[9]["text"], encoding="utf-8")
    (folder / "sub" / "t2.txt").write_text("论文题目二\n" + abstracts[10]["text"], encoding="gb18030")
    single = tmp_path / "single.txt"
    single.write_text("单篇\n" + abstracts[11]["text"], encoding="utf-8")
    return {"jsonl": jl, "folder": folder, "single": single}


def test_add_list_stats_remove(tmp_path: Path, inputs: dict[str, Path]) -> None:
    c = tmp_path / "corpus"
    r = run("corpus", "add", "--corpus", c, inputs["jsonl"], inputs["folder"], inputs["single"], "-q")
    assert r.returncode == 0, r.stderr
    assert "已导入 7 篇" in r.stdout
    r = run("corpus", "list", "--corpus", c, "--json")
    docs = json.loads(r.stdout)
    assert [d["id"] for d in docs] == ["j0", "j1", "j2", "j3", "single", "t1", "t2"]
    assert docs[0]["authors"] == ["张三"] and docs[0]["year"] == 2018
    assert next(d for d in docs if d["id"] == "t1")["title"] == "论文题目一"
    st = json.loads(run("corpus", "stats", "--corpus", c, "--json").stdout)
    assert st["documents"] == 7 and st["lsh_entries"] > 0 and st["index_bytes_per_document"] > 0
    text = run("corpus", "stats", "--corpus", c).stdout
    assert "每篇" in text and "文献：7 篇" in text
    # re-adding an id replaces it
    assert run("corpus", "add", "--corpus", c, inputs["jsonl"], "-q").returncode == 0
    assert len(json.loads(run("corpus", "list", "--corpus", c, "--json").stdout)) == 7
    r = run("corpus", "remove", "--corpus", c, "j1", "t2")
    assert r.returncode == 0 and "已删除 2 篇" in r.stdout
    r = run("corpus", "remove", "--corpus", c, "nope")
    assert r.returncode == 3 and "nope" in r.stderr and "Traceback" not in r.stderr


def test_bad_jsonl_line_leaves_corpus_unchanged(tmp_path: Path, inputs: dict[str, Path]) -> None:
    c = tmp_path / "corpus"
    assert run("corpus", "add", "--corpus", c, inputs["jsonl"], "-q").returncode == 0
    before = json.loads(run("corpus", "stats", "--corpus", c, "--json").stdout)
    bad = tmp_path / "bad.jsonl"
    good = {"id": "new1", "title": "x", "text": "新的文献内容，足够长的一句话。" * 5}
    good_line = json.dumps(good, ensure_ascii=False)
    bad.write_text(good_line + "\n{not json\n", encoding="utf-8")
    r = run("corpus", "add", "--corpus", c, bad, "-q")
    assert r.returncode == 3
    assert "bad.jsonl 第 2 行" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    after = json.loads(run("corpus", "stats", "--corpus", c, "--json").stdout)
    assert after["documents"] == before["documents"] and after["version"] == before["version"]
    missing_text = tmp_path / "m.jsonl"
    missing_text.write_text('{"id": "x", "title": "t"}\n', encoding="utf-8")
    r = run("corpus", "add", "--corpus", c, missing_text)
    assert r.returncode == 3 and "text" in r.stderr


def test_failed_first_import_creates_no_corpus(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n", encoding="utf-8")
    c = tmp_path / "new"
    r = run("corpus", "add", "--corpus", c, bad)
    assert r.returncode == 3 and "JSON 对象" in r.stderr
    assert not (c / "corpus.sqlite").exists()


def test_missing_or_corrupt_corpus_is_one_line_error(tmp_path: Path) -> None:
    for args in (("list",), ("stats",), ("remove", "x")):
        r = run("corpus", *args, "--corpus", tmp_path / "missing")
        assert r.returncode == 3
        assert r.stderr.startswith("错误[corpus_not_found]") and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "corpus.sqlite").write_bytes(os.urandom(4096))
    r = run("corpus", "stats", "--corpus", bad)
    assert r.returncode == 3 and "corpus_corrupt" in r.stderr and "Traceback" not in r.stderr
    r = run("corpus", "add", "--corpus", tmp_path / "c", tmp_path / "nothing-here.txt")
    assert r.returncode == 3 and "找不到" in r.stderr
