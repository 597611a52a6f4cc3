"""A 比对库 too small to rely on is no basis for the copy-ratio rule: 需核实, never 认可 (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integrity.policy.test_check_verdict import check, corpus, paper

__all__ = ["corpus"]  # the module-scoped 2-document corpus fixture


def clean_core(tmp_path: Path, corpus: Path, *env: str) -> dict[str, Any]:
    body = "本研究提出了一种新的计算框架。" * 3
    body += "我们在多个体系上验证了方法的可靠性，并与实验数据进行了比较。" * 3
    return check(
        tmp_path,
        corpus,
        paper("原子与分子物理学报　2019年第36卷第2期", body),
        "--applicant",
        "李明",
        "--claimed-level",
        "core",
        env=dict(e.split("=", 1) for e in env),
    )


def test_tiny_corpus_is_no_basis_for_the_copy_ratio_rule(tmp_path: Path, corpus: Path) -> None:
    result = clean_core(tmp_path, corpus)
    verdict = result["verdict"]
    assert result["similarity"]["total_copy_ratio"] == 0.0
    found = {f["code"]: f for f in verdict["findings"]}
    assert found["corpus_too_small"]["severity"] == "warning", verdict["findings"]
    message = found["corpus_too_small"]["message"]
    assert str(corpus) in message and "2 篇" in message and "1000" in message
    assert found["corpus_too_small"]["detail"]["documents"] == 2
    assert verdict["accepted"] is False and verdict["status"] == "review"
    assert verdict["summary"].startswith("需核实") and "认可" not in verdict["summary"]
    assert verdict["recognised_level"] == "core"  # the journal level stands; only the ratio is unproven


def test_the_minimum_is_a_setting(tmp_path: Path, corpus: Path) -> None:
    verdict = clean_core(tmp_path, corpus, "INTEGRITY_MIN_CORPUS_DOCUMENTS=2")["verdict"]
    assert verdict["accepted"] is True and verdict["status"] == "accepted", verdict["findings"]
    assert "corpus_too_small" not in {f["code"] for f in verdict["findings"]}


def test_shared_base_corpora_are_searched_and_label_their_sources(tmp_path: Path, corpus: Path) -> None:
    from tests.integrity.policy.test_check_verdict import OTHER, SOURCE, run

    base = tmp_path / "province"
    jl = tmp_path / "base.jsonl"
    jl.write_text(
        json.dumps({"id": "prov1", "title": "降水趋势", "text": OTHER * 2}, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    assert run(tmp_path, "corpus", "add", "--corpus", base, jl).returncode == 0
    text = paper("某刊", SOURCE + OTHER + "本研究提出了一种新的计算框架。" * 2)
    out = check(tmp_path, corpus, text, "--no-verdict", env={"INTEGRITY_BASE_CORPORA": str(base)})
    by_id = {s["doc_id"]: s for s in out["similarity"]["sources"]}
    assert by_id["src1"]["corpus"] == str(corpus) and by_id["prov1"]["corpus"] == str(base)
    assert out["corpus"]["documents"] == 3
    # src1 and prov1 are both row 1 of their corpora: offsets must point into each source's own text
    for passage in by_id["prov1"]["passages"]:
        assert (OTHER * 2)[passage["source_start"] : passage["source_end"]] == passage["source_text"]
        assert passage["source_text"] == text[passage["start"] : passage["end"]]
    assert [c["label"] for c in out["corpus"]["corpora"]] == [str(corpus), str(base)]
    # the same through repeated --corpus, without the setting
    again = check(tmp_path, corpus, text, "--no-verdict", "--corpus", str(base))
    labels = {s["doc_id"]: s["corpus"] for s in again["similarity"]["sources"]}
    assert labels["src1"] == str(corpus) and labels["prov1"] == str(base)
    # a missing base corpus is an error naming it, not a silent zero
    path = tmp_path / "paper.txt"
    r = run(tmp_path, "check", path, "--corpus", corpus, env={"INTEGRITY_BASE_CORPORA": "/nowhere/x"})
    assert r.returncode != 0 and "/nowhere/x" in r.stderr and "Traceback" not in r.stderr


def test_a_downgrade_against_a_tiny_corpus_needs_review_too() -> None:
    """Sample paper, 200-document sample corpus: 17.9 % keeps it provincial only if nothing else is copied."""
    from integrity.catalogue import Catalogue
    from integrity.models import PaperClaims
    from integrity.policy import assess, load_policy
    from integrity.settings import Settings
    from tests.integrity.policy.test_assess import document, similarity

    settings = Settings()
    out = assess(
        document(),
        similarity(0.179),
        PaperClaims(journal="微电子学与计算机", issn="1000-7180", year=2019),
        load_policy(None, settings),
        Catalogue.open(settings.catalogue_path),
        corpus={"label": "sample", "documents": 200},
        min_corpus_documents=1000,
    )
    found = {f["code"]: f["severity"] for f in out["verdict"]["findings"]}
    assert found["copy_ratio_over_threshold"] == "info" and found["corpus_too_small"] == "warning"
    assert out["verdict"]["status"] == "review" and out["verdict"]["recognised_level"] == "provincial"
