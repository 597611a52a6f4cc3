"""FastAPI app factory: ``create_app(settings)``.

Start-up (lifespan): run Alembic migrations, import ``INTEGRITY_ADMIN_API_KEY`` as the first admin key,
start the job queue (in-process runner resumes persisted jobs) and the retention sweeper. Every
``IntegrityError`` becomes ``{"error": {"code", "message", "detail"}}`` with its ``http_status``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from integrity import __version__
from integrity.errors import IntegrityError
from integrity.settings import Settings, get_settings
from service.db import Database
from service.routers import ROUTERS

log = logging.getLogger("service")

DESCRIPTION = """职称评审论文核查服务：上传论文，异步检测文字复制比、期刊核验与政策判定。

认证：`Authorization: Bearer <API 密钥>`。角色：unit（提交与查询本租户检测）、reviewer（另可管理比对库）、
admin（另可管理密钥、查看审计记录）。错误统一为 `{"error": {"code", "message", "detail"}}`。"""


def error_response(status: int, code: str, message: str, detail: Any = None) -> JSONResponse:
    from service.redact import redact

    return JSONResponse(
        {"error": {"code": code, "message": redact(message), "detail": redact(detail or {})}},
        status_code=status,
        headers={"Retry-After": str(detail.get("retry_after_s"))}
        if isinstance(detail, dict) and "retry_after_s" in detail
        else None,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        return error_response(exc.http_status, exc.code, exc.message, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        msg = "请求参数有误：" + "；".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return error_response(422, "invalid_request", msg, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "接口不存在", 405: "不支持该请求方法"}
        response = error_response(
            exc.status_code, f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail))
        )
        response.headers.update(exc.headers or {})  # 405 keeps its Allow header
        return response

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", f"服务内部错误：{type(exc).__name__}")


class RetentionSweeper:
    """Hourly upkeep from start-up on: deletes expired uploads (results stay) and publishes jobs that
    never reached the broker (Celery mode)."""

    def __init__(self, settings: Settings, db: Database, queue: Any, interval_s: float = 3600.0):
        self.settings, self.db, self.queue, self.interval_s = settings, db, queue, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="integrity-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        from service.storage import purge_expired_uploads

        first = True  # queue.start() has just recovered unpublished jobs
        while not self._stop.is_set():
            try:
                purge_expired_uploads(self.db, self.settings)
            except Exception:
                log.exception("retention sweep failed")
            if not first:
                try:
                    self.queue.recover()
                except Exception:
                    log.exception("re-publishing unqueued jobs failed")
            first = False
            self._stop.wait(self.interval_s)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the environment). Nothing runs until start-up."""
    from service.auth import bootstrap_admin
    from service.bodylimit import BodyLimitGate, bearer_authenticator
    from service.jobs import load_job_kinds, make_queue
    from service.openapi import ERROR_RESPONSES
    from service.openapi import install as install_openapi
    from service.ratelimit import make_rate_limiter

    settings = settings or get_settings()
    db = Database(settings)
    queue = make_queue(settings, db)
    sweeper = RetentionSweeper(settings, db, queue)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db.upgrade()
        if settings.admin_api_key is not None:
            bootstrap_admin(db, settings.admin_api_key.get_secret_value(), settings.admin_tenant)
        load_job_kinds()
        queue.start()
        sweeper.start()
        try:
            yield
        finally:
            sweeper.stop()
            queue.stop()
            db.dispose()

    app = FastAPI(
        title="integrity",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db
    app.state.queue = queue
    app.state.rate_limiter = make_rate_limiter(settings)
    _install_error_handlers(app)
    from service.outages import install_outage_handlers

    install_outage_handlers(app)

    # authenticate before reading a body, then read at most the route's limit (service/bodylimit.py)
    app.state.body_authenticators = [bearer_authenticator]
    app.add_middleware(BodyLimitGate, settings=settings)

    for name in ROUTERS:
        try:
            module = importlib.import_module(f"service.routers.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"service.routers.{name}":
                continue  # a router a colleague has not added yet
            raise
        app.include_router(module.router, responses=ERROR_RESPONSES)  # error model in the OpenAPI schema
    install_openapi(app)
    return app
