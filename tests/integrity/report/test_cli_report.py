"""``integrity report`` through the real entry point (errors must be one line, never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.integrity.report.sample import TEXT, result


def _integrity(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(tmp_path / "var"),
        "INTEGRITY_REPORT_SIGNING_KEY": "c" * 32,
    }
    return subprocess.run(
        [sys.executable, "-m", "integrity", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _write_result(tmp_path: Path, paper: Path | None = None) -> Path:
    r = result()
    if paper is not None:
        import hashlib

        r["paper"]["sha256"] = hashlib.sha256(paper.read_bytes()).hexdigest()
    path = tmp_path / "check.json"
    path.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    return path


def test_html_with_paper_text(tmp_path: Path) -> None:
    paper = tmp_path / "paper.txt"
    paper.write_text(TEXT, encoding="utf-8")
    check = _write_result(tmp_path, paper)
    out = tmp_path / "r.html"
    proc = _integrity(
        tmp_path, "report", str(check), "--format", "html", "-o", str(out), "--paper", str(paper)
    )
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert 'id="fulltext"' in html and '<mark class="copy">' in html


def test_pdf_default_output_name(tmp_path: Path) -> None:
    check = _write_result(tmp_path)
    proc = _integrity(tmp_path, "report", str(check), "--format", "pdf")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "check.pdf").read_bytes().startswith(b"%PDF-")


def test_wrong_paper_and_bad_json_are_clear_errors(tmp_path: Path) -> None:
    check = _write_result(tmp_path)  # sha256 of a different file
    paper = tmp_path / "other.txt"
    paper.write_text("另一篇论文的文字内容。" * 10, encoding="utf-8")
    proc = _integrity(tmp_path, "report", str(check), "--paper", str(paper))
    assert proc.returncode == 2 and "paper_mismatch" in proc.stderr and "Traceback" not in proc.stderr

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    proc = _integrity(tmp_path, "report", str(bad))
    assert proc.returncode == 2 and "bad_check_json" in proc.stderr and "Traceback" not in proc.stderr

    proc = _integrity(tmp_path, "report", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "file_not_found" in proc.stderr
