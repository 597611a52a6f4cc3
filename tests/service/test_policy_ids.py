"""Issue 10 item 1: a policy id is a name from the shipped set, never a path (no forged verdicts)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from integrity.errors import PolicyError
from integrity.policy import load_policy
from integrity.settings import Settings
from service.app import create_app
from tests.service.helpers import TestClient, auth, make_settings, new_key, wait_done

SHIPPED = Path(__file__).resolve().parents[2] / "corpora" / "policies"
LENIENT = (SHIPPED / "gansu-pingliang-2022.toml").read_text(encoding="utf-8")
LENIENT = LENIENT.replace('id = "gansu-pingliang-2022"', 'id = "evil"')
LENIENT = LENIENT.replace("core = 0.15", "core = 1.0").replace("provincial = 0.25", "provincial = 1.0")


def _no_server_path(body: str, *roots: Path) -> None:
    assert "build-system" not in body and "setuptools" not in body
    for root in roots:
        assert str(root) not in body, body
    assert "/work/" not in body and "/tmp/" not in body, body


@pytest.fixture
def own_dirs(tmp_path: Path) -> Settings:
    policies = tmp_path / "policies"
    shutil.copytree(SHIPPED, policies)
    return make_settings(tmp_path, policy_dir=policies)


def test_uploaded_toml_cannot_be_named_as_a_policy(own_dirs: Settings) -> None:
    with TestClient(create_app(own_dirs)) as client:
        h = auth(new_key(client, "unit", "alpha")["key"])
        r = client.post("/v1/checks", files={"file": ("evil.toml", LENIENT.encode())}, headers=h)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        wait_done(client, job_id, h)
        planted = own_dirs.data_dir / "uploads" / "alpha" / job_id / "evil.toml"
        assert planted.is_file()
        for pid in (f"../data/uploads/alpha/{job_id}/evil", f"../../data/uploads/alpha/{job_id}/evil"):
            r = client.post(
                "/v1/checks",
                files={"file": ("p.txt", "论文正文。".encode() * 20)},
                data={"metadata": json.dumps({"policy_id": pid})},
                headers=h,
            )
            assert r.status_code == 400, r.text
            err = r.json()["error"]
            assert err["code"] == "invalid_policy_id"
            assert "政策" in err["message"]
            _no_server_path(r.text, own_dirs.data_dir, own_dirs.policy_dir)
        listed = client.get("/v1/checks", headers=h).json()["items"]
        assert [c["id"] for c in listed] == [job_id]  # nothing queued under the forged policy


def test_pyproject_is_not_read_or_echoed(client: TestClient, settings: Settings) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    for pid in ("../../pyproject", "..", "a/b", "A", "x" * 65, "_template", "-x", "a..b", ".hidden"):
        r = client.post(
            "/v1/checks",
            files={"file": ("p.txt", "论文正文。".encode() * 20)},
            data={"metadata": json.dumps({"policy_id": pid})},
            headers=h,
        )
        assert r.status_code == 400, (pid, r.text)
        assert r.json()["error"]["code"] == "invalid_policy_id", (pid, r.text)
        _no_server_path(r.text, settings.policy_dir, settings.data_dir)
    assert client.get("/v1/checks", headers=h).json()["items"] == []


def test_batch_policy_id_is_validated_at_submission(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    r = client.post(
        "/v1/batches",
        files={"file": ("a.zip", b"PK\x03\x04"), "manifest": ("m.csv", "姓名,文件\n".encode())},
        data={"policy_id": "../../pyproject"},
        headers=h,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_policy_id", r.text
    _no_server_path(r.text)
    r = client.post(
        "/v1/batches",
        files={"file": ("a.zip", b"PK\x03\x04"), "manifest": ("m.csv", "姓名,文件\n".encode())},
        data={"policy_id": "nope"},
        headers=h,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "policy_not_found", r.text


def test_unknown_policy_is_404_and_names_no_path(client: TestClient, settings: Settings) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    for pid in ("nope", "..pyproject", "_template", "a..b"):
        r = client.get(f"/v1/policies/{pid}", headers=h)
        assert r.status_code == 404, (pid, r.text)
        assert r.json()["error"]["code"] == "policy_not_found"
        _no_server_path(r.text, settings.policy_dir)
    assert client.get("/v1/policies/gansu-pingliang-2022", headers=h).status_code == 200


def test_core_loader_looks_ids_up_in_the_known_set(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(SHIPPED, policies)
    (tmp_path / "evil.toml").write_text(LENIENT, encoding="utf-8")
    settings = make_settings(tmp_path, policy_dir=policies)
    assert load_policy(None, settings).id == settings.default_policy
    assert load_policy("qinghai-2022", settings).id == "qinghai-2022"
    for pid in ("../evil", "../../pyproject", "evil/..", "/etc/passwd", "qinghai-2022\x00", " qinghai-2022"):
        with pytest.raises(PolicyError) as info:
            load_policy(pid, settings)
        assert info.value.code == "invalid_policy_id", pid
        assert str(tmp_path) not in info.value.message
    with pytest.raises(PolicyError) as info:
        load_policy("evil", settings)
    assert info.value.code == "policy_not_found"
