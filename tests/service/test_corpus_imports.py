"""Paged corpus import through the API: pages in any order, a repeated page is not applied twice."""

from __future__ import annotations

from pathlib import Path

from tests.service.helpers import TestClient, abstracts, auth, new_key


def test_paged_import_over_the_api(client: TestClient, shared_dir: Path) -> None:
    docs = abstracts(shared_dir, 5, skip=30)
    h = auth(new_key(client, "reviewer", "alpha")["key"])
    url = "/v1/corpus/imports/batch-2024"
    r = client.put(f"{url}/pages/2", json={"documents": docs[2:], "total_pages": 2}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] and r.json()["missing_pages"] == [1]
    assert client.put(f"{url}/pages/2", json={"documents": docs[2:]}, headers=h).json()["applied"] is False
    assert client.put(f"{url}/pages/1", json={"documents": docs[:2]}, headers=h).status_code == 200
    state = client.get(url, headers=h).json()
    assert state["complete"] and state["documents"] == 5 and state["pages"] == [1, 2]
    items = client.get("/v1/corpus/documents", headers=h).json()["items"]
    assert sorted(i["id"] for i in items) == sorted(d["id"] for d in docs)
    assert client.get("/v1/corpus/imports/nope", headers=h).status_code == 404
    r = client.put(f"{url}/pages/0", json={"documents": docs[:1]}, headers=h)
    assert r.status_code in (409, 422) and r.json()["error"]["code"] != "internal_error"
    other = auth(new_key(client, "reviewer", "beta")["key"])
    assert client.get(url, headers=other).status_code == 404  # per tenant


def test_a_page_larger_than_the_default_body_limit_is_accepted(client: TestClient, shared_dir: Path) -> None:
    """A page of paper-length documents is megabytes: the body gate must give the import route the upload
    limit (ROUTE_LIMITS), not the 1 MiB default of other write routes."""
    base = abstracts(shared_dir, 3, skip=40)
    docs = [{**d, "id": f"big-{i}", "text": (d["text"] + "\n") * 700} for i, d in enumerate(base)]
    h = auth(new_key(client, "reviewer", "alpha")["key"])
    r = client.put("/v1/corpus/imports/big/pages/1", json={"documents": docs, "total_pages": 1}, headers=h)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["applied"] is True
