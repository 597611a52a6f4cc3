"""Batches through the API: zip + manifest, progress, per-paper reports, XLSX summary, safety, tenants."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.service.helpers import TestClient, abstracts, auth, new_key
from tests.workers.conftest import ScaleOut, scaleout  # noqa: F401  (fixture)

MANIFEST = (
    "申报人,单位,论文题目,期刊,年份,申报级别,文件名\n"
    "张三,医院,论文甲,期刊A,2021,核心,甲.txt\n"
    "李四,学校,论文乙,期刊B,2021,省级,乙.txt\n"
    "王五,医院,论文丙,期刊C,2021,省级,缺失.txt\n"
    "赵六,医院,论文丁,期刊D,19xx,省级,丁.txt\n"
)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _setup(client: TestClient, shared_dir: Path, tenant: str) -> tuple[dict[str, str], bytes]:
    docs = abstracts(shared_dir, 4)
    reviewer = new_key(client, "reviewer", tenant)
    r = client.post("/v1/corpus/documents", json={"documents": docs[:3]}, headers=auth(reviewer["key"]))
    assert r.status_code == 201, r.text
    original = "本文讨论县级医院护理质量管理的实践经验，收集三年护理差错记录并分类统计，提出分级培训制度。"
    papers = {
        "批次/甲.txt": f"引言\n{docs[0]['text']}\n{docs[3]['text']}\n{original}".encode(),
        "批次/乙.txt": f"引言\n{docs[0]['text']}\n{docs[3]['text']}\n结论\n{original}".encode(),
    }
    return auth(new_key(client, "unit", tenant)["key"]), _zip(papers)


def _submit(client: TestClient, h: dict[str, str], zip_bytes: bytes, manifest: str = MANIFEST) -> Any:
    return client.post(
        "/v1/batches",
        files={
            "file": ("papers.zip", zip_bytes, "application/zip"),
            "manifest": ("清单.csv", manifest.encode("utf-8"), "text/csv"),
        },
        headers=h,
    )


def _wait(client: TestClient, batch_id: str, h: dict[str, str], timeout: float = 90) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/v1/batches/{batch_id}/progress", headers=h)
        assert r.status_code == 200, r.text
        seen.append(r.json())
        if seen[-1]["status"] in ("done", "failed"):
            return seen
        time.sleep(0.05)
    raise AssertionError("batch did not finish")


def test_batch_end_to_end(client: TestClient, shared_dir: Path) -> None:
    h, zip_bytes = _setup(client, shared_dir, "office")
    r = _submit(client, h, zip_bytes)
    assert r.status_code == 202, r.text
    sub = r.json()
    assert sub["manifest"]["rows"] == 3
    assert [(e["row"], e["code"]) for e in sub["manifest"]["errors"]] == [(5, "bad_year")]
    assert sub["progress_url"] == f"/v1/batches/{sub['id']}/progress"

    progress = _wait(client, sub["id"], h)
    assert progress[-1]["status"] == "done", progress[-1]
    assert progress[-1]["percent"] == 100.0 and progress[-1]["papers"] == 3
    assert all(0 <= p["percent"] <= 100 for p in progress)

    batch = client.get(f"/v1/batches/{sub['id']}", headers=h).json()
    counts = batch["result"]["counts"]
    assert counts["rows"] == 4 and counts["errors"] == 2
    outcomes = {o["row"]["row"]: o for o in batch["result"]["outcomes"]}
    assert outcomes[4]["error_code"] == "file_missing"
    assert outcomes[2]["total_copy_ratio"] > 0.3 and outcomes[2]["check_id"]
    kinds = {(f["kind"], f["row_a"], f["row_b"]) for f in batch["result"]["cross_flags"]}
    assert ("mutual_copy", 2, 3) in kinds and ("shared_source", 2, 3) in kinds

    # Each paper has a stored check with a report.
    check_id = outcomes[2]["check_id"]
    assert client.get(f"/v1/checks/{check_id}", headers=h).json()["status"] == "done"
    report = client.get(f"/v1/checks/{check_id}/report.html", headers=h)
    assert report.status_code == 200 and '<mark class="copy">' in report.text

    r = client.get(f"/v1/batches/{sub['id']}/summary.xlsx", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "按申报人", "交叉比对", "清单问题"]
    assert [row[0] for row in wb["汇总"].iter_rows(min_row=2, values_only=True)] == [2, 3, 4, 5]
    assert wb["交叉比对"].max_row >= 3

    listed = client.get("/v1/batches", headers=h).json()["items"]
    assert listed[0]["id"] == sub["id"] and listed[0]["counts"]["rows"] == 4

    # Another tenant sees none of it.
    other = auth(new_key(client, "unit", "elsewhere")["key"])
    for path in (f"/v1/batches/{sub['id']}", f"/v1/batches/{sub['id']}/progress",
                 f"/v1/batches/{sub['id']}/summary.xlsx", f"/v1/checks/{check_id}/report.html"):  # fmt: skip
        assert client.get(path, headers=other).status_code == 404, path
    assert client.get("/v1/batches", headers=other).json()["items"] == []


def test_unsafe_zip_and_bad_manifest_are_refused_at_once(client: TestClient, shared_dir: Path) -> None:
    h, zip_bytes = _setup(client, shared_dir, "office2")
    r = _submit(client, h, _zip({"../../evil.txt": b"x", "a.txt": b"y"}))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_archive"
    r = _submit(client, h, _zip({"zeros.txt": b"\0" * (4 * 1024 * 1024)}))
    assert r.status_code == 422 and "压缩炸弹" in r.json()["error"]["message"]
    r = _submit(client, h, b"%PDF-1.4 not a zip")
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_archive"
    r = _submit(client, h, zip_bytes, manifest="单位,题目\n医院,论文\n")
    assert r.status_code == 422 and r.json()["error"]["code"] == "manifest_missing_column"
    assert client.get("/v1/batches", headers=h).json()["items"] == []
    r = client.get("/v1/batches/nope/summary.xlsx", headers=h)
    assert r.status_code == 404


@pytest.mark.services
def test_batch_on_celery_postgres_redis(scaleout: ScaleOut, shared_dir: Path) -> None:  # noqa: F811
    """The same batch on the scale-out stack: Celery worker process, PostgreSQL, Redis LSH per tenant."""
    from service.app import create_app
    from tests.workers.test_celery import settings_from

    with TestClient(create_app(settings_from(scaleout.env))) as client:
        assert client.app.state.db.engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
        h, zip_bytes = _setup(client, shared_dir, "scaled")
        r = _submit(client, h, zip_bytes)
        assert r.status_code == 202, r.text
        batch_id = r.json()["id"]
        progress = _wait(client, batch_id, h, timeout=120)
        assert progress[-1]["status"] == "done", (progress[-1], scaleout.worker_log.read_text()[-3000:])
        result = client.get(f"/v1/batches/{batch_id}", headers=h).json()["result"]
        assert result["counts"]["rows"] == 4 and result["counts"]["errors"] == 2
        outcome = next(o for o in result["outcomes"] if o["row"]["row"] == 2)
        assert outcome["total_copy_ratio"] > 0.3
        html = client.get(f"/v1/checks/{outcome['check_id']}/report.html", headers=h).text
        code = html.split('id="report-code">', 1)[1].split("<", 1)[0]
        assert client.get(f"/v1/reports/{code}/verify").json()["valid"] is True
        r = client.get(f"/v1/batches/{batch_id}/summary.xlsx", headers=h)
        assert load_workbook(io.BytesIO(r.content)).sheetnames[0] == "汇总"
