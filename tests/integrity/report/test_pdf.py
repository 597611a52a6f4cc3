"""The PDF report: real Chinese text (pdftotext), embedded CJK fonts (pdffonts), renders to PNG (pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from integrity.report.pdf import render_pdf
from integrity.settings import Settings
from tests.conftest import require
from tests.integrity.report.sample import COPIED, TEXT, result


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for tool in ("pdftotext", "pdffonts", "pdftoppm"):
        require(shutil.which(tool) is not None, f"poppler-utils ({tool})")
    tmp = tmp_path_factory.mktemp("pdf")
    settings = Settings(data_dir=tmp, report_signing_key=SecretStr("p" * 32))
    data = render_pdf(result(), TEXT, settings=settings)
    assert data.startswith(b"%PDF-")
    path = tmp / "report.pdf"
    path.write_bytes(data)
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def test_chinese_text_comes_back(pdf_file: Path) -> None:
    text = _run("pdftotext", "-enc", "UTF-8", str(pdf_file), "-")
    squashed = "".join(text.split())
    for needle in (
        "文本复制检测报告单",
        "总文字复制比",
        "去除本人文献复制比",
        "学术诚信研究",
        "单位盖章",
        "不予认定",
    ):
        assert needle in squashed
    assert "".join(COPIED.split()) in squashed
    assert "31.0%" in squashed


def test_cjk_fonts_are_embedded(pdf_file: Path) -> None:
    lines = _run("pdffonts", str(pdf_file)).splitlines()[2:]
    cjk = [line for line in lines if "CJK" in line]
    assert cjk, lines
    for line in lines:
        assert line.split()[-5] == "yes", f"font not embedded: {line}"  # the "emb" column


def test_renders_to_png_with_ink(pdf_file: Path, tmp_path: Path) -> None:
    _run("pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", str(pdf_file), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    img = Image.open(png).convert("L")
    assert img.size[0] > 300
    dark = sum(img.histogram()[:128])
    assert dark > 2000  # text and tables drawn, not a blank page
