"""``/healthz`` (the process answers) and ``/readyz`` (database and broker reachable). No auth."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from integrity import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="存活检查")
def healthz() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="就绪检查：数据库与消息队列")
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, str] = {}
    ok = True
    try:
        state.db.ping()
        checks["database"] = "ok"
    except Exception as exc:
        ok = False
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        state.queue.ping()
        checks["queue"] = "ok"
    except Exception as exc:
        ok = False
        checks["queue"] = f"error: {getattr(exc, 'code', type(exc).__name__)}"
    checks["queue_backend"] = state.settings.queue_backend
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )
