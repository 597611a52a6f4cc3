"""bench.speed: the synthetic data is deterministic and exact, scoring is right, and a --quick run works
end to end (engine + copydetect on a tiny corpus) and prints its table and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.speed.score import RecallTally
from bench.speed.stages import StageClock
from bench.speed.synth import SentencePool, SynthPaper, SynthParams

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool(shared_dir: Path) -> SentencePool:
    abstracts = shared_dir / "data" / "abstracts" / "csl_abstracts.jsonl"
    return SentencePool(SynthParams(doc_chars=800, abstracts=str(abstracts)))


def test_documents_are_deterministic_and_independent_of_corpus_size(pool: SentencePool) -> None:
    again = SentencePool(pool.params)
    assert pool.doc(7).text == again.doc(7).text
    assert [d.text for d in pool.docs(5, 8)] == [pool.doc(i).text for i in range(5, 8)]
    assert pool.doc(7).text != pool.doc(8).text
    other_seed = SentencePool(SynthParams(doc_chars=800, seed=1, abstracts=pool.params.abstracts))
    assert other_seed.doc(7).text != pool.doc(7).text
    lengths = [len(pool.doc(i).text) for i in range(50)]
    assert 0.6 * 800 <= sum(lengths) / len(lengths) <= 1.5 * 800


def test_planted_passages_point_at_their_source(pool: SentencePool) -> None:
    papers = pool.papers(12, source_docs=100, chars=3000)
    planted = [p for paper in papers for p in paper.planted]
    assert planted, "some papers must carry planted copies"
    assert any(not paper.planted for paper in pool.papers(40, 100, 3000)), "some papers are clean"
    for paper in papers:
        assert 2500 <= len(paper.text) <= 3700
        for p in paper.planted:
            assert p.doc_id.startswith("syn-") and int(p.doc_id[4:]) < 100
            src = pool.doc(int(p.doc_id[4:])).text[p.source_start : p.source_end]
            got = paper.text[p.start : p.end]
            assert len(got) == len(src) >= 100
            differing = sum(a != b for a, b in zip(got, src, strict=True))
            assert differing == 0 if not p.edited else differing <= 0.1 * len(src)


def test_recall_tally_counts_true_source_coverage_only() -> None:
    from bench.speed.synth import Planted

    paper = SynthPaper(
        "p",
        "x" * 1000,
        [Planted(100, 300, "syn-000001", 0, 200, False), Planted(500, 600, "syn-000002", 0, 100, True)],
    )
    tally = RecallTally()
    # first passage fully found (in two overlapping spans), second attributed to the wrong source
    tally.add(paper, [("syn-000001", 100, 250), ("syn-000001", 200, 300), ("syn-000009", 500, 600)])
    tally.add(SynthPaper("clean", "y" * 1000), [("syn-000003", 0, 100)])
    s = tally.summary()
    assert s["passage_recall"] == 0.5
    assert s["char_recall"] == round(200 / 300, 4)
    assert s["source_recall"] == 0.5
    # only the clean paper's span is extra: the wrong-source span lies inside a planted passage
    assert s["extra_char_ratio"] == round(100 / 2000, 4)
    assert s["clean_papers"] == 1 and s["clean_papers_flagged"] == 1


def _outer(n: float) -> float:
    time.sleep(n)
    return _inner(n)


def _inner(n: float) -> float:
    time.sleep(n)
    return n


def test_stage_clock_is_exclusive_and_restores_functions() -> None:
    mod = sys.modules[__name__]
    original = mod._outer
    clock = StageClock({"outer": [f"{__name__}:_outer"], "inner": [f"{__name__}:_inner"], "gone": ["nope:f"]})
    with clock.active():
        assert mod._outer is not original
        mod._outer(0.02)
    assert mod._outer is original
    assert clock.calls == {"outer": 1, "inner": 1, "gone": 0}
    # exclusive: each stage holds about its own sleep, not the nested one (generous bound for busy hosts)
    assert clock.seconds["outer"] >= 0.019 and clock.seconds["inner"] >= 0.019
    assert clock.seconds["outer"] < clock.seconds["inner"] + 0.019
    assert clock.missing == ["nope:f"]


def test_quick_run_end_to_end(tmp_path: Path, shared_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "bench.speed", "--quick", "--docs", "300", "--papers", "4"]
    cmd += ["--out-dir", str(out)]
    run = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    for heading in ("integrity engine", "ms per check by stage", "copydetect", "targets (issue 3)"):
        assert heading in run.stdout
    data = json.loads((out / "speed-quick.json").read_text(encoding="utf-8"))
    assert data["machine"]["nproc"] >= 1 and data["machine"]["cpu_model"]
    eng = data["engine"]["300"]
    assert eng["checks"] == 4 and eng["checks_per_s"] > 0
    assert eng["stage_missing"] == [], "every stage function of the engine must be found"
    assert all(v >= 0 for k, v in eng["stage_ms"].items() if k != "other")
    assert eng["memory"]["disk"]["bytes_per_doc"] > 0
    assert eng["build"]["docs"] == 300 and not eng["build"]["cached"], eng["build"]
    assert data["params"]["planted_passages"] > 0
    # the engine finds verbatim and lightly edited copies in a tiny corpus
    assert eng["recall"]["passage_recall"] >= 0.5, eng["recall"]
    peer = data["copydetect"]
    assert peer["docs"] == 300 and peer["per_corpus"]["300"]["how"] == "measured"
    assert 0 <= peer["recall"]["char_recall"] <= 1
    assert {t["target"].split(" ")[0] for t in data["targets"]} >= {"≥", "≤"}
    # a second run reuses the cached corpus
    cmd2 = [*cmd[:-4], "--papers", "2", "--out-dir", str(out), "--no-peer"]
    run2 = subprocess.run(cmd2, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run2.returncode == 0, run2.stderr[-3000:]
    data2 = json.loads((out / "speed-quick.json").read_text(encoding="utf-8"))
    assert data2["engine"]["300"]["build"]["cached"] is True
    assert "copydetect" not in data2
