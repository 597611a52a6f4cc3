"""A 比对库 too small to rely on is no basis for the copy-ratio rule: 需核实, never 认可 (issue 13)."""

from __future__ import annotations

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
