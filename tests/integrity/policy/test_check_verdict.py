"""End to end: ``integrity check --format json`` adds ``journal`` and ``verdict`` (real CLI, real corpus)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = [sys.executable, "-m", "integrity"]

SOURCE = (
    "本文研究了高压条件下氢分子在金属表面的吸附与解离过程，采用密度泛函理论计算了不同覆盖度下的吸附能，"
    "结果表明解离能垒随着表面应变的增加而显著降低，这一规律为储氢材料的设计提供了理论依据。"
    "进一步的分子动力学模拟显示，温度升高会加快氢原子在晶格间隙中的扩散速度，并改变其择优占位。"
)
OTHER = (
    "我们对西北干旱区三十个气象站六十年的降水序列进行了趋势检验，发现冬季降水呈现显著增加趋势，"
    "夏季降水的年际波动增大，极端降水事件的频率与强度均有所上升，对区域水资源管理提出了新的挑战。"
)


def paper(header: str, body: str) -> str:
    return (
        f"{header}\n"
        "金属表面氢吸附的第一性原理研究\n"
        "李明1，赵静2*\n"
        "（1. 兰州大学 物理科学与技术学院，甘肃 兰州 730000；2. 西北师范大学，甘肃 兰州 730070）\n"
        "摘　要：研究了氢在金属表面的吸附。\n"
        "关键词：氢吸附；第一性原理\n"
        "ISSN 1000-0364　CN 51-1199/O4\n"
        f"1 引言\n{body}\n"
        "参考文献：\n[1] 王涛. 储氢材料[M]. 北京：科学出版社，2003.\n"
    )


def run(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(tmp_path), **(env or {})}
    return subprocess.run([*BIN, *map(str, args)], capture_output=True, text=True, env=env, timeout=180)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verdict")
    jl = root / "corpus.jsonl"
    with jl.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "src1", "title": "氢吸附", "text": SOURCE * 2}, ensure_ascii=False) + "\n")
        f.write(json.dumps({"id": "src2", "title": "降水", "text": OTHER}, ensure_ascii=False) + "\n")
    r = run(root, "corpus", "add", "--corpus", root / "corpus", jl)
    assert r.returncode == 0, r.stderr
    return root / "corpus"


def check(
    tmp_path: Path, corpus: Path, text: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    path = tmp_path / "paper.txt"
    path.write_text(text, encoding="utf-8")
    r = run(tmp_path, "check", path, "--corpus", corpus, "--format", "json", *args, env=env)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def test_clean_core_paper_is_accepted(tmp_path: Path, corpus: Path) -> None:
    body = (
        "本研究提出了一种新的计算框架。" * 3
        + "我们在多个体系上验证了方法的可靠性，并与实验数据进行了比较。" * 3
    )
    result = check(
        tmp_path,
        corpus,
        paper("原子与分子物理学报　2019年第36卷第2期", body),
        "--applicant",
        "李明",
        "--claimed-level",
        "core",
        env={"INTEGRITY_MIN_CORPUS_DOCUMENTS": "0"},  # a 2-document corpus accepted on purpose here
    )
    verdict = result["verdict"]
    assert result["journal"]["identified"], verdict["findings"]
    assert result["journal"]["match"]["journal"]["name"] == "原子与分子物理学报"
    assert verdict["recognised_level"] == "core" and verdict["accepted"] is True, verdict["findings"]
    assert verdict["policy_id"] == "gansu-pingliang-2022"
    assert verdict["inputs"]["issn"]["source"].startswith("extracted:")
    assert verdict["inputs"]["applicant"] == {"value": "李明", "source": "claims"}


def test_copied_supplement_paper_lists_every_problem(tmp_path: Path, corpus: Path) -> None:
    body = SOURCE + "本研究提出了一种新的计算框架。"
    result = check(
        tmp_path,
        corpus,
        paper("原子与分子物理学报　2019年第36卷增刊1期", body),
        "--applicant",
        "王五",
        "--claimed-level",
        "core",
        "--year",
        "2019",
    )
    assert result["similarity"]["total_copy_ratio"] > 0.15
    verdict = result["verdict"]
    found = {f["code"]: f["severity"] for f in verdict["findings"]}
    assert found.get("supplement_issue") == "reject", verdict["findings"]
    assert found.get("copy_ratio_over_threshold") == "reject"
    assert found.get("applicant_not_author") == "reject"
    assert verdict["accepted"] is False
    assert verdict["recognised_level"] is None  # forged authorship: no level at all (issue 13)
    assert verdict["inputs"]["year"] == {"value": 2019, "source": "claims"}


def test_text_report_prints_the_verdict(tmp_path: Path, corpus: Path) -> None:
    path = tmp_path / "paper.txt"
    path.write_text(paper("原子与分子物理学报　2019年第36卷第2期", SOURCE), encoding="utf-8")
    r = run(tmp_path, "check", path, "--corpus", corpus, "--format", "text", "--policy", "qinghai-2022")
    assert r.returncode == 0, r.stderr
    assert "判定：" in r.stdout and "依据：青人社厅函〔2022〕600号" in r.stdout


def test_no_verdict_and_unknown_policy(tmp_path: Path, corpus: Path) -> None:
    path = tmp_path / "paper.txt"
    path.write_text(paper("某刊", SOURCE), encoding="utf-8")
    r = run(tmp_path, "check", path, "--corpus", corpus, "--format", "json", "--no-verdict")
    assert r.returncode == 0 and "verdict" not in json.loads(r.stdout)
    bad = run(tmp_path, "check", path, "--corpus", corpus, "--policy", "nowhere-2030")
    assert bad.returncode == 5 and "未找到政策" in bad.stderr and "Traceback" not in bad.stderr
