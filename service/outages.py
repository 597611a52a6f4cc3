"""Outages of the database or Redis answer ``503`` with ``Retry-After`` and a zh-CN message, never 500.

Why a handler per exception family instead of try/except in the routes: every route (and the auth
dependency that runs first) touches the database, so one mapping at the edge covers them all. The
message says what is down, not how (no host, port or driver text).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30


def outage_response(code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "detail": {"retry_after_s": RETRY_AFTER_S}}},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def install_outage_handlers(app: FastAPI) -> None:
    """Map database and Redis connection failures to 503 on ``app``."""
    import redis.exceptions
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    async def _database(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable: %s", type(exc).__name__)
        return outage_response(
            "database_unavailable", f"数据库暂时不可用，请求未完成，请约 {RETRY_AFTER_S} 秒后重试"
        )

    async def _redis(_: Request, exc: Exception) -> JSONResponse:
        log.warning("redis unavailable: %s", type(exc).__name__)
        return outage_response(
            "redis_unavailable", f"Redis 服务暂时不可用，请求未完成，请约 {RETRY_AFTER_S} 秒后重试"
        )

    for db_exc in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(db_exc, _database)
    for redis_exc in (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        app.add_exception_handler(redis_exc, _redis)
