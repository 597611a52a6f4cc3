"""Issue 10 item 2: real chunked uploads against a live uvicorn — authenticate first, stop at the limit.

Each test counts how many bytes the client actually handed to the socket: a server that reads a whole
1 GiB body before answering would drain the generator; the gate stops it after a few MiB at most
(loopback socket buffers).
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from integrity.settings import Settings
from service.app import create_app
from tests.service.helpers import ADMIN, auth, free_port, make_settings

MIB = 1024 * 1024
BOUNDARY = "----integrity-test-boundary"
MANIFEST = "申报人,单位,论文题目,期刊,年份,申报级别,文件名\n张三,医院,论文甲,期刊A,2021,核心,甲.txt\n"
# Drained bytes must stay far below the 1 GiB offered: a few MiB of loopback buffers plus the limit.
DRAIN_CEILING = 48 * MIB


@contextmanager
def live(settings: Settings) -> Iterator[str]:
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(60)


class Body:
    """A chunked multipart body: one file part of ``size`` bytes, produced lazily; counts what was sent."""

    def __init__(self, size: int, field: str = "file", filename: str = "big.txt", extra: bytes = b""):
        self.size, self.field, self.filename, self.extra = size, field, filename, extra
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{self.field}"; '
            f'filename="{self.filename}"\r\nContent-Type: text/plain\r\n\r\n'
        ).encode()
        yield self._count(self.extra + head)
        block = ("论文正文。" * 80_000).encode()[:MIB]
        left = self.size
        while left > 0:
            chunk = block[: min(left, MIB)]
            left -= len(chunk)
            yield self._count(chunk)
        yield self._count(f"\r\n--{BOUNDARY}--\r\n".encode())

    def _count(self, data: bytes) -> bytes:
        self.sent += len(data)
        return data


def post_chunked(url: str, body: Body, headers: dict[str, str] | None = None) -> httpx.Response:
    h = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **(headers or {})}
    with httpx.Client(timeout=300) as c:
        return c.post(url, content=iter(body), headers=h)


def new_key(base: str, role: str, tenant: str) -> str:
    r = httpx.post(f"{base}/v1/keys", json={"role": role, "tenant": tenant}, headers=ADMIN, timeout=60)
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


def test_no_key_is_refused_before_the_body_is_read(tmp_path: Path) -> None:
    with live(make_settings(tmp_path)) as base:
        for path in ("/v1/checks", "/v1/batches", "/v1/corpus/files"):
            body = Body(1024 * MIB)
            r = post_chunked(base + path, body)
            assert r.status_code == 401, r.text
            assert r.json()["error"]["code"] == "unauthorized"
            assert body.sent < DRAIN_CEILING, (path, body.sent)
            body = Body(1024 * MIB)
            r = post_chunked(base + path, body, auth("ik_forged_" + "y" * 30))
            assert r.status_code == 401 and body.sent < DRAIN_CEILING, (path, body.sent)
        assert not list((tmp_path / "data" / "uploads").glob("*/*/*"))


def test_chunked_body_over_the_limit_stops_early_with_413(tmp_path: Path) -> None:
    with live(make_settings(tmp_path, max_upload_bytes=2 * MIB)) as base:
        unit = auth(new_key(base, "unit", "alpha"))
        body = Body(1024 * MIB)
        r = post_chunked(base + "/v1/checks", body, unit)
        assert r.status_code == 413, r.text
        err = r.json()["error"]
        assert err["code"] == "file_too_large"
        assert err["detail"] == {"limit": "max_upload_bytes", "max_upload_bytes": 2 * MIB}
        assert "上限" in err["message"] and "2.0 MB" in err["message"]
        assert body.sent < DRAIN_CEILING, body.sent
        # a declared Content-Length over the limit is refused without reading anything
        r = httpx.post(
            base + "/v1/checks",
            files={"file": ("big.txt", b"x" * (4 * MIB))},
            headers=unit,
            timeout=120,
        )
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"
        # under the limit, chunked, still works
        r = post_chunked(base + "/v1/checks", Body(MIB), unit)
        assert r.status_code == 202, r.text
        reviewer = auth(new_key(base, "reviewer", "alpha"))
        body = Body(1024 * MIB)
        r = post_chunked(base + "/v1/corpus/files", body, reviewer)
        assert r.status_code == 413 and body.sent < DRAIN_CEILING, (r.text, body.sent)
        # JSON routes without their own rule: 1 MiB
        r = httpx.post(base + "/v1/keys", content=b"{" + b" " * (2 * MIB) + b"}", headers=ADMIN, timeout=60)
        assert r.status_code == 413 and r.json()["error"]["detail"]["limit"] == "max_request_bytes"


def _stored_zip(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("甲.txt", "论文正文。".encode() * 50)
        zf.writestr("附件.txt", ("材料。" * (size // 9 + 1)).encode()[:size])
    return buf.getvalue()


def test_a_60_mb_batch_is_accepted_under_the_batch_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, queue_paused=True)  # accept and persist only; no 60 MB job runs
    assert settings.max_upload_bytes < 60 * MIB < settings.batch_max_upload_bytes
    data = _stored_zip(60 * MIB)
    with live(settings) as base:
        unit = auth(new_key(base, "unit", "alpha"))
        files: Any = {
            "file": ("papers.zip", data, "application/zip"),
            "manifest": ("清单.csv", MANIFEST.encode(), "text/csv"),
        }
        r = httpx.post(base + "/v1/batches", files=files, headers=unit, timeout=300)
        assert r.status_code == 202, r.text
        # and chunked, without Content-Length
        part = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="manifest"; filename="m.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{MANIFEST}\r\n"
        ).encode()
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()

        def chunks() -> Iterator[bytes]:
            yield part + head
            for i in range(0, len(data), MIB):
                yield data[i : i + MIB]
            yield f"\r\n--{BOUNDARY}--\r\n".encode()

        h = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **unit}
        r = httpx.post(base + "/v1/batches", content=chunks(), headers=h, timeout=300)
        assert r.status_code == 202, r.text
    with live(make_settings(tmp_path / "small", queue_paused=True, batch_max_upload_bytes=8 * MIB)) as base:
        unit = auth(new_key(base, "unit", "alpha"))
        h = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **unit}
        r = httpx.post(base + "/v1/batches", content=chunks(), headers=h, timeout=300)
        assert r.status_code == 413, r.text
        detail = r.json()["error"]["detail"]
        assert detail == {"limit": "batch_max_upload_bytes", "batch_max_upload_bytes": 8 * MIB}


def test_an_unreachable_key_store_defers_to_the_route(tmp_path: Path) -> None:
    """A database outage in the gate is not a 500 of its own: the route answers (sec-jobs: 503)."""

    def broken(headers: dict[str, str], app: Any) -> bool:
        raise RuntimeError("database is down")

    settings = make_settings(tmp_path, max_upload_bytes=2 * MIB)
    from tests.service.helpers import TestClient

    with TestClient(create_app(settings)) as client:
        client.app.state.body_authenticators = [broken]  # type: ignore[attr-defined]
        r = client.post("/v1/checks", files={"file": ("p.txt", "论文正文。".encode() * 20)})
        assert r.status_code == 401, r.text  # the route's own require_key answered
        r = client.post("/v1/checks", files={"file": ("p.txt", b"x" * (4 * MIB))}, headers=ADMIN)
        assert r.status_code == 413, r.text  # the limit still holds
