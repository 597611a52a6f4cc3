"""Reports through the API: HTML/PDF of a real check, public verification, tampering, tenant isolation."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from service.models import Job
from tests.service.helpers import TestClient, abstracts, auth, new_key, wait_done


def _done_check(client: TestClient, shared_dir: Path, tenant: str = "alpha") -> tuple[str, dict[str, str]]:
    docs = abstracts(shared_dir, 3)
    reviewer = new_key(client, "reviewer", tenant)
    r = client.post("/v1/corpus/documents", json={"documents": docs}, headers=auth(reviewer["key"]))
    assert r.status_code == 201, r.text
    h = auth(new_key(client, "unit", tenant)["key"])
    paper = (
        "引言\n" + docs[0]["text"] + "\n本文另外讨论了一些完全不同的新问题与新方法，并给出了实验结果。" * 3
    )
    r = client.post("/v1/checks", files={"file": ("论文.txt", paper.encode(), "text/plain")}, headers=h)
    assert r.status_code == 202, r.text
    body = wait_done(client, r.json()["id"], h)
    assert body["status"] == "done", body
    return body["id"], h


def _code(html: str) -> str:
    m = re.search(r'id="report-code">([A-Z0-9-]+)<', html)
    assert m, "verification code missing"
    return m.group(1)


def test_html_and_pdf_report_of_a_check(client: TestClient, shared_dir: Path) -> None:
    check_id, h = _done_check(client, shared_dir)
    r = client.get(f"/v1/checks/{check_id}/report.html", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    html = r.text
    assert "总文字复制比" in html and "单位盖章" in html
    assert '<mark class="copy">' in html  # the uploaded text was re-extracted and highlighted
    code = _code(html)
    # The same result always gets the same code.
    assert _code(client.get(f"/v1/checks/{check_id}/report.html", headers=h).text) == code

    r = client.get(f"/v1/checks/{check_id}/report.pdf", headers=h)
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    assert r.headers["content-disposition"] == f'attachment; filename="report-{check_id}.pdf"'


def test_public_verification_and_tampering(client: TestClient, shared_dir: Path) -> None:
    check_id, h = _done_check(client, shared_dir)
    code = _code(client.get(f"/v1/checks/{check_id}/report.html", headers=h).text)
    result = client.get(f"/v1/checks/{check_id}", headers=h).json()["result"]

    r = client.get(f"/v1/reports/{code}/verify")  # no API key: anyone holding the paper report
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True and body["code"] == code
    assert body["similarity"]["total_copy_ratio"] == result["similarity"]["total_copy_ratio"]
    assert "tenant" not in body
    assert client.get(f"/v1/reports/{code.lower().replace('-', '')}/verify").json()["valid"] is True

    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and "报告真实有效" in page.text

    r = client.get("/v1/reports/AAAAAAAAAAAAAAAAAAAA/verify")
    assert r.status_code == 404 and r.json()["error"]["code"] == "report_not_found"
    page = client.get("/verify/AAAA-BBBB")
    assert page.status_code == 404 and "伪造" in page.text
    assert "<script" not in client.get("/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E").text

    # Someone alters the stored figures: the printed code no longer verifies.
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        job = s.scalar(select(Job).where(Job.id == check_id))
        altered = dict(job.result)
        altered["similarity"] = {**altered["similarity"], "total_copy_ratio": 0.01}
        job.result = altered
    assert client.get(f"/v1/reports/{code}/verify").json()["valid"] is False
    assert "篡改" in client.get(f"/verify/{code}").text


def test_reports_are_tenant_scoped_and_need_a_finished_check(client: TestClient, shared_dir: Path) -> None:
    check_id, _ = _done_check(client, shared_dir, tenant="alpha")
    other = auth(new_key(client, "unit", "beta")["key"])
    for fmt in ("html", "pdf"):
        r = client.get(f"/v1/checks/{check_id}/report.{fmt}", headers=other)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get(f"/v1/checks/{check_id}/report.html").status_code == 401

    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        s.add(Job(id="queuedjob0001", kind="check", tenant="beta", status="queued", params={}))
    r = client.get("/v1/checks/queuedjob0001/report.html", headers=other)
    assert r.status_code == 409 and r.json()["error"]["code"] == "check_not_ready"


def test_cli_report_registered_for_online_verification(tmp_path: Path) -> None:
    """``integrity report --register`` stores the code in the service DB; the API then confirms it."""
    import json
    import os
    import subprocess
    import sys

    from service.app import create_app
    from tests.integrity.report.sample import result
    from tests.service.helpers import make_settings

    settings = make_settings(tmp_path)
    check = tmp_path / "check.json"
    check.write_text(json.dumps(result(), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(settings.data_dir), "INTEGRITY_ADMIN_TENANT": "root"}
    env.pop("INTEGRITY_DATABASE_URL", None)
    out = tmp_path / "r.html"
    proc = subprocess.run(
        [sys.executable, "-m", "integrity", "report", str(check), "-o", str(out), "--register"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    code = _code(out.read_text(encoding="utf-8"))
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/v1/reports/{code}/verify").json()
        assert body["valid"] is True and body["similarity"]["total_copy_ratio"] == 0.31
    # Registering again is idempotent.
    proc = subprocess.run(
        [sys.executable, "-m", "integrity", "report", str(check), "-o", str(out), "--register"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert _code(out.read_text(encoding="utf-8")) == code
