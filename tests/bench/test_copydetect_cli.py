"""The copydetect peer behind the CLI contract finds copying across processes (``make bench`` compares it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (
    "本文研究了基于深度学习的图像识别方法，提出了一种新的卷积神经网络结构。"
    "实验结果表明该方法在三个公开数据集上具有较高的准确率和较好的泛化能力。"
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("copydetect")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}  # a salted hash per process
    return subprocess.run(
        [sys.executable, "-m", "bench.copydetect_cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_check_in_a_new_process_finds_what_corpus_add_fingerprinted(tmp_path: Path) -> None:
    records = tmp_path / "corpus.jsonl"
    records.write_text(
        json.dumps({"id": "src-1", "title": "t", "text": SOURCE}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    paper = tmp_path / "paper.txt"
    paper.write_text("引言部分是作者自己写的内容，与其他文献无关。" + SOURCE[:60], encoding="utf-8")
    _run("corpus", "add", "--corpus", str(tmp_path / "c"), str(records))
    out = json.loads(_run("check", str(paper), "--corpus", str(tmp_path / "c"), "--format", "json").stdout)
    sources = out["similarity"]["sources"]
    assert [s["doc_id"] for s in sources] == ["src-1"]
    assert out["similarity"]["copied_chars"] >= 40


def test_unequal_slice_lists_are_paired_by_rank_not_refused() -> None:
    from bench.copydetect_cli import _paired

    refs = ([10, 50], [20, 60])
    assert [_paired(refs, n, 2) for n in range(2)] == [(10, 20), (50, 60)]
    assert [_paired(refs, n, 3) for n in range(3)] == [(10, 20), (10, 20), (50, 60)]
    assert _paired(([], []), 0, 1) == (0, 0)
