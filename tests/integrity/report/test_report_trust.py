"""Reports a reviewer can trust (issue 13): the verify address, offline reports, local times, print layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from integrity.report.html import build_context, render_html
from integrity.settings import Settings
from tests.integrity.report.sample import TEXT, result

KEY = SecretStr("k" * 32)


def test_verify_url_follows_the_bound_address_unless_a_public_url_is_set(tmp_path: Path) -> None:
    bound = Settings(data_dir=tmp_path, report_signing_key=KEY, host="10.2.3.4", port=9100)
    assert build_context(result(), settings=bound).verify_url.startswith("http://10.2.3.4:9100/verify/")
    assert bound.loopback_warning() is None
    public = Settings(data_dir=tmp_path, report_signing_key=KEY, public_base_url="https://zc.example.cn/")
    assert build_context(result(), settings=public).verify_url.startswith("https://zc.example.cn/verify/")
    default = Settings(data_dir=tmp_path, report_signing_key=KEY)
    assert default.report_base_url == "http://127.0.0.1:8000"
    warning = default.loopback_warning()
    assert warning and "INTEGRITY_PUBLIC_BASE_URL" in warning and "127.0.0.1" in warning


def test_times_are_shown_in_the_configured_zone(tmp_path: Path) -> None:
    when = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    beijing = Settings(data_dir=tmp_path, report_signing_key=KEY)
    assert (
        build_context(result(), settings=beijing, issued_at=when).issued_at
        == "2026-01-01 08:30:00（北京时间）"
    )
    utc = Settings(data_dir=tmp_path, report_signing_key=KEY, timezone="UTC")
    assert build_context(result(), settings=utc, issued_at=when).issued_at == "2026-01-01 00:30:00（UTC）"


def test_sources_show_year_and_corpus_and_percentages_as_cnki_prints_them(tmp_path: Path) -> None:
    r = result()
    r["similarity"]["sources"][0].update(year=2019, corpus="甘肃省比对库", journal="计算机工程")
    r["similarity"]["total_copy_ratio"] = 0.1234
    html = render_html(r, TEXT, settings=Settings(data_dir=tmp_path, report_signing_key=KEY))
    assert "《计算机工程》" in html and "2019 年" in html and "比对库：甘肃省比对库" in html
    assert "12.3%" in html


def test_stamp_and_qr_box_never_splits(tmp_path: Path) -> None:
    html = render_html(result(), TEXT, settings=Settings(data_dir=tmp_path, report_signing_key=KEY))
    css = html[html.index("<style") : html.index("</style>")]
    rule = css[css.index(".verify {") :].split("}", 1)[0]
    assert "break-inside: avoid" in rule and "display: flex" not in rule


def test_unregistered_cli_report_is_offline_and_keeps_its_key_out_of_the_cwd(tmp_path: Path) -> None:
    cwd, home = tmp_path / "work", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    check = cwd / "check.json"
    check.write_text(json.dumps(result(), ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEGRITY_") and k != "XDG_DATA_HOME"}
    env["HOME"] = str(home)
    r = subprocess.run(
        [sys.executable, "-m", "integrity", "report", "check.json"],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert not list(cwd.rglob("*.key")), list(cwd.rglob("*"))
    assert (home / ".local/share/integrity/report-signing.key").is_file()
    html = (cwd / "check.html").read_text(encoding="utf-8")
    assert "离线报告" in html and "不能在线核验" in html and 'id="verify-url"' not in html
    assert "验证二维码" not in html
    code = html.split('id="report-code">', 1)[1].split("<", 1)[0]
    assert code.startswith("00"), code
    assert "离线报告" in r.stdout
