"""Issue 10 item 5: client input that used to give 500 — each case is a 4xx with the usual error body."""

from __future__ import annotations

import json
from typing import Any

import pytest

from service.boundedjson import MAX_DEPTH, BoundedJsonError, loads
from tests.service.helpers import ADMIN, TestClient, auth, new_key


def _is_error(r: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text
    err = r.json()["error"]
    assert set(err) == {"code", "message", "detail"} and err["message"], err
    if code:
        assert err["code"] == code, err
    return dict(err)


def _check(client: TestClient, h: dict[str, str], metadata: str) -> Any:
    return client.post(
        "/v1/checks",
        files={"file": ("p.txt", "论文正文。".encode() * 20)},
        data={"metadata": metadata},
        headers=h,
    )


@pytest.fixture
def unit(client: TestClient) -> dict[str, str]:
    return auth(new_key(client, "unit", "alpha")["key"])


@pytest.fixture
def reviewer(client: TestClient) -> dict[str, str]:
    return auth(new_key(client, "reviewer", "alpha")["key"])


def test_5000_digit_year(client: TestClient, unit: dict[str, str]) -> None:
    err = _is_error(_check(client, unit, '{"year": ' + "9" * 5000 + "}"), 400, "invalid_metadata")
    assert "数字" in err["message"]


def test_metadata_nested_100k_brackets(client: TestClient, unit: dict[str, str]) -> None:
    err = _is_error(_check(client, unit, "[" * 100_000), 400, "invalid_metadata")
    assert str(MAX_DEPTH) in err["message"]


def test_metadata_nested_50k_braces(client: TestClient, unit: dict[str, str]) -> None:
    _is_error(_check(client, unit, '{"a":' * 50_000), 400, "invalid_metadata")


def test_metadata_too_long(client: TestClient, unit: dict[str, str]) -> None:
    meta = json.dumps({"applicant": "张" * 100_000})
    _is_error(_check(client, unit, meta), (400, 413))


def test_metadata_that_is_fine_still_works(client: TestClient, unit: dict[str, str]) -> None:
    r = _check(client, unit, json.dumps({"applicant": "张三", "year": 2021, "self_authors": ["张三"]}))
    assert r.status_code == 202, r.text


def test_audit_before_id_beyond_64_bits(client: TestClient) -> None:
    for value in (str(2**63), str(2**64 + 1), "9" * 5000):
        _is_error(client.get("/v1/audit", params={"before_id": value}, headers=ADMIN), (400, 422))
    assert client.get("/v1/audit", params={"before_id": str(2**63 - 1)}, headers=ADMIN).status_code == 200


def _corpus_file(client: TestClient, h: dict[str, str], **form: str) -> Any:
    data = {"id": "doc-1", **form}
    return client.post(
        "/v1/corpus/files",
        files={"file": ("d.txt", "已发表文献的正文内容。".encode() * 30)},
        data=data,
        headers=h,
    )


def test_corpus_file_id_with_space(client: TestClient, reviewer: dict[str, str]) -> None:
    _is_error(_corpus_file(client, reviewer, id="a b"), 422)


def test_corpus_file_id_with_traversal(client: TestClient, reviewer: dict[str, str]) -> None:
    _is_error(_corpus_file(client, reviewer, id="../../x"), 422)
    _is_error(_corpus_file(client, reviewer, id=".."), 422)


def test_corpus_file_id_500_chars(client: TestClient, reviewer: dict[str, str]) -> None:
    _is_error(_corpus_file(client, reviewer, id="a" * 500), 422)


def test_corpus_file_title_2000_chars(client: TestClient, reviewer: dict[str, str]) -> None:
    _is_error(_corpus_file(client, reviewer, title="题" * 2000), 422)
    assert _corpus_file(client, reviewer, title="题" * 200).status_code == 201


def test_corpus_documents_id_rules_match(client: TestClient, reviewer: dict[str, str]) -> None:
    for bad in ("a b", "../../x", "..", "a" * 500):
        r = client.post(
            "/v1/corpus/documents", json={"documents": [{"id": bad, "text": "正文"}]}, headers=reviewer
        )
        _is_error(r, 422)


def test_bounded_loads_unit() -> None:
    assert loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert loads('"[[[[" ') == "[[[["  # brackets inside strings do not count
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    for bad in (
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "9" * 100,
        "[" * 10**6,
        "x" * (2 * 1024 * 1024),
    ):
        with pytest.raises(BoundedJsonError):
            loads(bad)
