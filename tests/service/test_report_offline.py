"""An offline (unregistered) report's code is reported as offline, never as possibly forged (issue 13)."""

from __future__ import annotations

from pathlib import Path

from tests.service.helpers import TestClient
from tests.service.test_reports import _code, _done_check


def test_offline_code_is_not_called_forged(client: TestClient) -> None:
    code = "00AB-CDEF-GHIJ-KLMN-OPQR"
    r = client.get(f"/v1/reports/{code}/verify")
    assert r.status_code == 404 and r.json()["error"]["code"] == "offline_report"
    assert "伪造" not in r.json()["error"]["message"]
    page = client.get(f"/verify/{code}")
    assert "离线报告" in page.text and "伪造" not in page.text
    unknown = client.get("/verify/AAAA-BBBB-CCCC-DDDD-EEEE")
    assert "伪造" in unknown.text  # a code that does not exist is still called so


def test_verify_page_shows_beijing_time(client: TestClient, shared_dir: Path) -> None:
    check_id, h = _done_check(client, shared_dir)
    code = _code(client.get(f"/v1/checks/{check_id}/report.html", headers=h).text)
    body = client.get(f"/v1/reports/{code}/verify").json()
    assert body["issued_at_display"].endswith("（北京时间）")
    assert body["issued_at_display"] in client.get(f"/verify/{code}").text


def test_one_report_route_for_every_registered_format(client: TestClient, shared_dir: Path) -> None:
    check_id, h = _done_check(client, shared_dir)
    txt = client.get(f"/v1/checks/{check_id}/report.txt", headers=h)
    assert txt.status_code == 200 and txt.headers["content-type"].startswith("text/plain")
    assert "总文字复制比" in txt.text
    html = client.get(f"/v1/checks/{check_id}/report.html", headers=h)  # the old URLs still work
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    bad = client.get(f"/v1/checks/{check_id}/report.docx", headers=h)
    assert bad.status_code in (400, 404, 422) and bad.json()["error"]["code"] == "bad_report_format"
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/checks/{check_id}/report.{fmt}" in paths
