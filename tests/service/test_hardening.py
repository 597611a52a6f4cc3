"""Issue 10 "Also": corpus writes by role, multicast and IPv4-embedding callback URLs, OpenAPI errors."""

from __future__ import annotations

import ipaddress

import pytest

from integrity.settings import Settings
from service.webhooks import InvalidCallbackUrl, embedded_ipv4, validate_callback_url
from tests.service.helpers import TestClient, auth, new_key

ERROR_STATUSES = {"400", "401", "403", "404", "409", "413", "415", "429", "503"}


def test_unit_key_cannot_add_to_corpus(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("p.txt", "论文正文。".encode() * 20)},
        data={"metadata": '{"add_to_corpus": true}'},
        headers=h,
    )
    assert r.status_code == 403, r.text
    err = r.json()["error"]
    assert err["code"] == "forbidden" and err["detail"]["required_role"] == "reviewer"
    assert client.get("/v1/checks", headers=h).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://224.0.0.1/hook",
        "http://239.255.255.250:1900/x",
        "http://[ff02::1]/x",
        "http://[ff0e::1]/x",
        "http://0.0.0.0/x",
        "http://255.255.255.255/x",
        "http://[::]/x",
        "http://[::ffff:224.0.0.1]/x",
    ],
)
def test_multicast_and_unspecified_callbacks_refused_even_when_private_allowed(url: str) -> None:
    for allow in (False, True):
        with pytest.raises(InvalidCallbackUrl):
            validate_callback_url(url, Settings(webhook_allow_private=allow))


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/x",  # IPv4-mapped
        "http://[::ffff:10.0.0.1]/x",
        "http://[::127.0.0.1]/x",  # IPv4-compatible
        "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of 169.254.169.254
        "http://[64:ff9b::7f00:1]/x",
        "http://[2002:7f00:1::1]/x",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:101::1]/x",  # 6to4 of 192.168.1.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/x",  # Teredo
    ],
)
def test_ipv6_embedding_refused_ipv4_is_refused(url: str) -> None:
    with pytest.raises(InvalidCallbackUrl):
        validate_callback_url(url, Settings(webhook_allow_private=False))


def test_embedded_ipv4_extraction() -> None:
    metadata_service = ipaddress.ip_address("169.254.169.254")
    assert embedded_ipv4(ipaddress.ip_address("64:ff9b::a9fe:a9fe")) == [metadata_service]
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1111")) == []
    assert embedded_ipv4(ipaddress.ip_address("8.8.8.8")) == []


def test_multicast_callback_refused_through_the_api(client: TestClient) -> None:
    h = auth(new_key(client, "unit", "alpha")["key"])
    r = client.post(
        "/v1/checks",
        files={"file": ("p.txt", "论文正文。".encode() * 20)},
        data={"metadata": '{"callback_url": "http://224.0.0.251/hook"}'},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_callback_url"
    r = client.post("/v1/keys", json={"role": "unit", "callback_url": "http://[ff02::fb]/x"}, headers=h)
    assert r.status_code in (403, 422)


def test_openapi_declares_error_responses_with_the_error_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "ErrorResponse" in spec["components"]["schemas"]
    operations = [(p, m, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    assert len(operations) > 10
    for path, method, op in operations:
        responses = op["responses"]
        assert set(responses) >= ERROR_STATUSES, (path, method, sorted(responses))
        for status in ERROR_STATUSES:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, method, status)
        if "422" in responses:
            ref = responses["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (path, method)
