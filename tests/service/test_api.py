"""The API end to end in-process (real SQLite, real engine, real threads): auth, roles, tenants, limits,
idempotency, corpus, audit, errors."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from integrity.settings import Settings
from service.app import create_app
from tests.service.helpers import ADMIN, TestClient, abstracts, auth, make_settings, new_key, wait_done


def paper_from(docs: list[dict[str, str]]) -> bytes:
    """A paper copying the first document and adding original text."""
    return (
        "引言。" + docs[0]["text"] + "本文另外讨论了一些完全不同的新问题与新方法，并给出了实验。" * 3
    ).encode()


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": "ok", "queue": "ok", "queue_backend": "inprocess"}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/checks", "/v1/checks/{check_id}", "/v1/corpus/documents", "/v1/audit", "/v1/keys"} <= set(
        paths
    )


def test_auth_errors_are_json(client: TestClient) -> None:
    r = client.get("/v1/checks/abc")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    r = client.get("/v1/checks/abc", headers=auth("ik_wrong"))
    assert r.status_code == 401
    r = client.get("/v1/nothing-here", headers=ADMIN)
    assert r.status_code == 404 and r.json()["error"]["code"] == "http_404"


def test_submit_check_and_read_result(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 3)
    reviewer = new_key(client, "reviewer", "alpha")
    r = client.post("/v1/corpus/documents", json={"documents": docs}, headers=auth(reviewer["key"]))
    assert r.status_code == 201, r.text
    unit = new_key(client, "unit", "alpha")
    h = auth(unit["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("论文 one.txt", paper_from(docs), "text/plain")},
        data={"metadata": '{"applicant": "张三", "claimed_level": "core"}'},
        headers=h,
    )
    assert r.status_code == 202, r.text
    check_id = r.json()["id"]
    assert r.headers["location"] == f"/v1/checks/{check_id}"
    body = wait_done(client, check_id, h)
    assert body["status"] == "done", body
    sim = body["result"]["similarity"]
    assert sim["sources"][0]["doc_id"] == docs[0]["id"]
    assert 0.3 < sim["total_copy_ratio"] < 1.0
    assert body["result"]["paper"]["file_name"] == "论文_one.txt"
    listed = client.get("/v1/checks", headers=h).json()["items"]
    assert [c["id"] for c in listed] == [check_id]


def test_cross_tenant_denial(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 2)
    a = new_key(client, "reviewer", "tenant-a")
    b = new_key(client, "admin", "tenant-b")
    ha, hb = auth(a["key"]), auth(b["key"])
    client.post("/v1/corpus/documents", json={"documents": docs}, headers=ha)
    r = client.post("/v1/checks", files={"file": ("p.txt", paper_from(docs))}, headers=ha)
    check_id = r.json()["id"]
    wait_done(client, check_id, ha)
    # tenant B sees nothing of tenant A: 404, not 403
    r = client.get(f"/v1/checks/{check_id}", headers=hb)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/v1/checks", headers=hb).json()["items"] == []
    assert client.get("/v1/corpus/documents", headers=hb).json()["items"] == []
    assert client.delete(f"/v1/corpus/documents/{docs[0]['id']}", headers=hb).status_code == 404
    assert client.delete(f"/v1/keys/{a['id']}", headers=hb).status_code == 404
    assert all(e["tenant"] == "tenant-b" for e in client.get("/v1/audit", headers=hb).json()["items"])
    # tenant B's own check runs against its own (empty) corpus: A's documents never match
    r = client.post("/v1/checks", files={"file": ("p.txt", paper_from(docs))}, headers=hb)
    body = wait_done(client, r.json()["id"], hb)
    assert body["status"] == "done", body
    assert body["result"]["similarity"]["sources"] == []
    # and the files are stored under each tenant's own folder
    data = Path(client.app.state.settings.data_dir).resolve()  # type: ignore[attr-defined]
    assert (data / "uploads" / "tenant-a" / check_id).is_dir()
    assert not (data / "uploads" / "tenant-b" / check_id).exists()


def test_roles(client: TestClient) -> None:
    unit = auth(new_key(client, "unit", "alpha")["key"])
    reviewer = auth(new_key(client, "reviewer", "alpha")["key"])
    doc = {"documents": [{"id": "x1", "title": "t", "text": "文本" * 50}]}
    r = client.post("/v1/corpus/documents", json=doc, headers=unit)
    assert r.status_code == 403 and r.json()["error"]["detail"]["required_role"] == "reviewer"
    assert client.post("/v1/corpus/documents", json=doc, headers=reviewer).status_code == 201
    assert client.get("/v1/audit", headers=reviewer).status_code == 403
    assert client.post("/v1/keys", json={"role": "unit"}, headers=reviewer).status_code == 403
    # a tenant admin cannot mint keys for another tenant; the bootstrap tenant's admin can
    tenant_admin = auth(new_key(client, "admin", "alpha")["key"])
    assert (
        client.post("/v1/keys", json={"role": "unit", "tenant": "beta"}, headers=tenant_admin).status_code
        == 403
    )
    assert client.post("/v1/keys", json={"role": "unit"}, headers=tenant_admin).status_code == 201


def test_revoked_key_is_rejected(client: TestClient) -> None:
    k = new_key(client, "unit", "alpha")
    assert client.get("/v1/checks", headers=auth(k["key"])).status_code == 200
    assert client.delete(f"/v1/keys/{k['id']}", headers=ADMIN).status_code == 200
    r = client.get("/v1/checks", headers=auth(k["key"]))
    assert r.status_code == 401
    listed = {row["id"]: row for row in client.get("/v1/keys", headers=ADMIN).json()["items"]}
    assert listed[k["id"]]["revoked_at"] is not None
    assert "key" not in listed[k["id"]] and "key_hash" not in listed[k["id"]]


def test_upload_limits(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_upload_bytes=4096)
    with TestClient(create_app(settings)) as client:
        h = auth(new_key(client, "unit", "alpha")["key"])
        r = client.post("/v1/checks", files={"file": ("big.txt", "文" * 3000)}, headers=h)
        assert r.status_code == 413
        err = r.json()["error"]
        assert err["code"] == "file_too_large" and err["detail"]["max_upload_bytes"] == 4096
        assert "4096" in err["message"]
        # type is sniffed from content: an executable named .txt, a zip named .docx
        r = client.post(
            "/v1/checks", files={"file": ("a.txt", b"\x7fELF\x02\x01\x01\x00" + bytes(500))}, headers=h
        )
        assert r.status_code == 415 and r.json()["error"]["detail"]["allowed_types"] == ["pdf", "docx", "txt"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("x.txt", "hello")
        r = client.post("/v1/checks", files={"file": ("a.docx", buf.getvalue())}, headers=h)
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_file_type"
        r = client.post("/v1/checks", files={"file": ("a.txt", b"")}, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == "empty_file"
        r = client.post(
            "/v1/checks", files={"file": ("a.txt", "正文".encode())}, data={"metadata": "{bad"}, headers=h
        )
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_metadata"
        r = client.post(
            "/v1/checks",
            files={"file": ("a.txt", "正文".encode())},
            data={"metadata": '{"level": 1}'},
            headers=h,
        )
        assert r.status_code == 400 and "level" in r.json()["error"]["message"]
        # nothing was queued for refused uploads
        assert client.get("/v1/checks", headers=h).json()["items"] == []


def test_rate_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_per_minute=3)
    with TestClient(create_app(settings)) as client:
        h = auth(new_key(client, "unit", "alpha")["key"])
        codes = [client.get("/v1/checks", headers=h).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = client.get("/v1/checks", headers=h)
        assert r.json()["error"]["detail"]["limit_per_minute"] == 3
        assert int(r.headers["retry-after"]) >= 1
        # the limit is per key: another key is not affected
        assert (
            client.get("/v1/checks", headers=auth(new_key(client, "unit", "alpha")["key"])).status_code == 200
        )


def test_idempotency_key(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    files = {"file": ("p.txt", "一篇论文的正文内容。".encode() * 20)}
    r1 = client.post("/v1/checks", files=files, headers={**h, "Idempotency-Key": "req-1"})
    r2 = client.post("/v1/checks", files=files, headers={**h, "Idempotency-Key": "req-1"})
    assert r1.status_code == r2.status_code == 202
    assert r1.json()["id"] == r2.json()["id"]
    assert r2.headers["idempotent-replayed"] == "true"
    other = {"file": ("p.txt", "另一篇论文。".encode() * 20)}
    r3 = client.post("/v1/checks", files=other, headers={**h, "Idempotency-Key": "req-1"})
    assert r3.status_code == 409 and r3.json()["error"]["code"] == "idempotency_conflict"
    assert len(client.get("/v1/checks", headers=h).json()["items"]) == 1
    # the same Idempotency-Key in another tenant is a different request
    h2 = auth(new_key(client, "unit", "beta")["key"])
    r4 = client.post("/v1/checks", files=files, headers={**h2, "Idempotency-Key": "req-1"})
    assert r4.status_code == 202 and r4.json()["id"] != r1.json()["id"]


def test_bad_input_fails_the_check_with_json_error(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    pdf = b"%PDF-1.4\n%broken\n" + b"garbage" * 50
    r = client.post("/v1/checks", files={"file": ("x.pdf", pdf)}, headers=h)
    assert r.status_code == 202
    body = wait_done(client, r.json()["id"], h)
    assert body["status"] == "failed"
    assert body["result"] is None
    assert body["error"]["code"] and body["error"]["message"]
    assert body["error"]["code"] != "internal_error"


def test_corpus_add_list_delete_and_audit(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 2, skip=10)
    rk = new_key(client, "reviewer", "alpha")
    h = auth(rk["key"])
    assert client.post("/v1/corpus/documents", json={"documents": docs}, headers=h).status_code == 201
    items = client.get("/v1/corpus/documents", headers=h).json()["items"]
    assert sorted(i["id"] for i in items) == sorted(d["id"] for d in docs)
    assert all("text" not in i for i in items)
    assert client.delete(f"/v1/corpus/documents/{docs[0]['id']}", headers=h).status_code == 200
    assert client.delete(f"/v1/corpus/documents/{docs[0]['id']}", headers=h).status_code == 404
    assert [i["id"] for i in client.get("/v1/corpus/documents", headers=h).json()["items"]] == [docs[1]["id"]]
    r = client.post("/v1/corpus/documents", json={"documents": [{"id": "a/b", "text": "x"}]}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"

    events = client.get("/v1/audit", params={"tenant": "alpha"}, headers=ADMIN).json()["items"]
    actions = [e["action"] for e in events]
    assert actions[:3] == ["corpus.delete", "corpus.add", "key.create"]
    assert all(e["key_id"] == rk["id"] for e in events[:2])


def test_audit_records_submission_and_read(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 1)
    k = new_key(client, "unit", "alpha")
    h = auth(k["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("p.txt", paper_from(docs))},
        data={"metadata": '{"policy_id": "gansu-pingliang-2022"}'},
        headers=h,
    )
    check_id = r.json()["id"]
    body = wait_done(client, check_id, h)
    events = client.get("/v1/audit", params={"tenant": "alpha"}, headers=ADMIN).json()["items"]
    mine = [e for e in events if e["object_id"] == check_id]
    assert {e["action"] for e in mine} >= {"check.submit", "check.done", "check.read"}
    sha = body["file_sha256"]
    for e in mine:
        assert e["file_sha256"] == sha
        assert e["policy_version"] and e["policy_version"].startswith("gansu-pingliang-2022")
        assert e["tenant"] == "alpha"
    submit = next(e for e in mine if e["action"] == "check.submit")
    assert submit["key_id"] == k["id"] and submit["role"] == "unit"


def test_audit_table_is_append_only(client: TestClient) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    db = client.app.state.db  # type: ignore[attr-defined]
    new_key(client, "unit", "alpha")
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET action = 'x'"))
    with pytest.raises(DBAPIError), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))


def test_bootstrap_key_rotation(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/keys", headers=ADMIN).status_code == 200
    rotated = Settings(**{**settings.model_dump(), "admin_api_key": "ik_rotated_" + "y" * 30})
    with TestClient(create_app(rotated)) as client:
        assert client.get("/v1/keys", headers=ADMIN).status_code == 401
        assert client.get("/v1/keys", headers=auth("ik_rotated_" + "y" * 30)).status_code == 200


def test_concurrent_first_checks_of_a_new_tenant(tmp_path: Path) -> None:
    """Several jobs opening a tenant's (not yet created) corpus at once all succeed."""
    with TestClient(create_app(make_settings(tmp_path, worker_threads=4))) as client:
        h = auth(new_key(client, "unit", "fresh")["key"])
        ids = [
            client.post(
                "/v1/checks", files={"file": (f"p{i}.txt", f"论文{i}的正文。".encode() * 30)}, headers=h
            ).json()["id"]
            for i in range(6)
        ]
        assert [wait_done(client, i, h)["status"] for i in ids] == ["done"] * 6


def test_journal_lookup_and_policies(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    r = client.get("/v1/journals", params={"q": "1001-8867", "year": 2021}, headers=h)
    assert r.status_code == 200, r.text
    hit = r.json()["items"][0]
    assert hit["matched_by"] == "issn" and hit["journal"]["name"] == "中国图书馆学报"
    assert client.get("/v1/journals", headers=h).status_code == 422
    policies = client.get("/v1/policies", headers=h).json()
    ids = [p["id"] for p in policies["items"]]
    assert policies["default"] in ids
    full = client.get(f"/v1/policies/{ids[0]}", headers=h).json()
    assert full["id"] == ids[0] and full["version"]
    # an unknown policy is refused at submission, before anything is queued
    r = client.post(
        "/v1/checks",
        files={"file": ("a.txt", "正文".encode())},
        data={"metadata": '{"policy_id": "nope"}'},
        headers=h,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "policy_not_found"
    assert client.get("/v1/checks", headers=h).json()["items"] == []


def test_add_to_corpus_is_applied_and_audited(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 1, skip=200)
    reviewer = new_key(client, "reviewer", "alpha")
    h = auth(reviewer["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("p.txt", paper_from(docs))},
        data={"metadata": '{"add_to_corpus": true}'},
        headers=h,
    )
    check_id = r.json()["id"]
    assert wait_done(client, check_id, h)["status"] == "done"
    ids = [d["id"] for d in client.get("/v1/corpus/documents", headers=h).json()["items"]]
    assert ids == [f"check-{check_id}"]
    events = client.get("/v1/audit", params={"tenant": "alpha", "action": "corpus.add"}, headers=ADMIN).json()
    assert [e["object_id"] for e in events["items"]] == [f"check-{check_id}"]
    assert events["items"][0]["key_id"] == reviewer["id"]


def test_oversized_json_body_is_refused(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, max_upload_bytes=1024))) as client:
        h = auth(new_key(client, "reviewer", "alpha")["key"])
        big = {"documents": [{"id": "d", "text": "字" * 600_000}]}
        r = client.post("/v1/corpus/documents", json=big, headers=h)
        assert r.status_code == 413 and r.json()["error"]["detail"]["max_upload_bytes"] == 1024


def test_corpus_file_upload(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 1, skip=220)
    h = auth(new_key(client, "reviewer", "alpha")["key"])
    r = client.post(
        "/v1/corpus/files",
        files={"file": ("published.txt", docs[0]["text"].encode("gb18030"))},
        data={"id": "pub-1", "title": "已发表论文", "authors": "张三，李四", "year": "2020"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["chars"] == len(docs[0]["text"])
    (item,) = client.get("/v1/corpus/documents", headers=h).json()["items"]
    assert item == {
        "id": "pub-1",
        "title": "已发表论文",
        "chars": len(docs[0]["text"]),
        "authors": ["张三", "李四"],
        "year": 2020,
    }
    # the same checks as for papers: content sniffing, and nothing added on refusal
    r = client.post(
        "/v1/corpus/files", files={"file": ("x.txt", b"\x00\x01\x02" * 100)}, data={"id": "bad"}, headers=h
    )
    assert r.status_code == 415
    unit = auth(new_key(client, "unit", "alpha")["key"])
    r = client.post(
        "/v1/corpus/files", files={"file": ("x.txt", "正文".encode())}, data={"id": "u"}, headers=unit
    )
    assert r.status_code == 403
    assert len(client.get("/v1/corpus/documents", headers=h).json()["items"]) == 1


def test_docx_and_pdf_uploads(client: TestClient, shared_dir: Path, tmp_path: Path) -> None:
    """The service path for real DOCX and PDF files: sniffed, parsed in the sandbox, matched."""
    from tests.integrity.ingest.docs import cjk_ttf, make_docx, make_pdf

    docs = abstracts(shared_dir, 2, skip=240)
    h = auth(new_key(client, "reviewer", "alpha")["key"])
    client.post("/v1/corpus/documents", json={"documents": docs}, headers=h)
    paras = ["引言", docs[0]["text"], "本文的方法与结论。"]
    docx_path = make_docx(tmp_path / "paper.docx", paras, title="测试论文")
    font = cjk_ttf(tmp_path / "font.ttf", "".join(paras))
    pdf_path = make_pdf(tmp_path / "paper.pdf", font, [paras])
    for path, kind in ((docx_path, "docx"), (pdf_path, "pdf")):
        # a misleading name: the type comes from the content
        r = client.post("/v1/checks", files={"file": (f"paper-{kind}.bin", path.read_bytes())}, headers=h)
        assert r.status_code == 202, r.text
        body = wait_done(client, r.json()["id"], h, 120)
        assert body["status"] == "done", body
        assert body["result"]["paper"]["file_type"] == kind
        sim = body["result"]["similarity"]
        paper = {k: v for k, v in body["result"]["paper"].items() if k != "metadata"}
        assert sim["sources"], (kind, paper, sim["total_chars"], body["result"]["corpus"])
        assert sim["sources"][0]["doc_id"] == docs[0]["id"]


def test_migrations_upgrade_an_existing_database(tmp_path: Path) -> None:
    """A database created at revision 0001 (with data) upgrades to head without losing rows."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from service.db import Database, alembic_config

    settings = make_settings(tmp_path)
    db = Database(settings)
    command.upgrade(alembic_config(db.engine), "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO jobs (id, kind, tenant, status, params, attempts, webhook_attempts, created_at) "
                "VALUES ('old1', 'check', 'alpha', 'done', '{}', 1, 0, '2026-01-01 00:00:00')"
            )
        )
    db.upgrade()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
        assert conn.execute(text("SELECT enqueued_at FROM jobs WHERE id='old1'")).scalar_one() is not None
    db.dispose()


def test_upload_names_cannot_escape_the_tenant_folder(client: TestClient) -> None:
    from service.storage import safe_name

    assert safe_name("../../etc/passwd", "x") == "passwd"
    assert safe_name("..\\..\\boot.ini", "x") == "boot.ini"
    assert safe_name("..", "upload.txt") == "upload.txt"
    assert safe_name("论文（终稿） v2.txt", "x") == "论文（终稿）_v2.txt"
    assert safe_name("a/b:c*?.pdf", "x") == "b_c_.pdf"
    h = auth(new_key(client, "unit", "alpha")["key"])
    r = client.post(
        "/v1/checks", files={"file": ("../../../evil.txt", "正文内容。".encode() * 20)}, headers=h
    )
    body = wait_done(client, r.json()["id"], h)
    assert body["file_name"] == "evil.txt"
    data = Path(client.app.state.settings.data_dir).resolve()  # type: ignore[attr-defined]
    assert (data / "uploads" / "alpha" / r.json()["id"] / "evil.txt").is_file()
    assert not (data / "evil.txt").exists() and not (data.parent / "evil.txt").exists()
