"""The error responses every API route may give, declared once with the error model for the OpenAPI
schema (issue 10: clients and fuzzers need to know what a 401, 413 or 503 looks like)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="稳定的英文错误代码（snake_case），如 unauthorized、file_too_large")
    message: str = Field(description="中文说明：问题是什么、上限是多少")
    detail: dict[str, Any] = Field(default_factory=dict, description="机器可读的补充信息（上限、字段等）")


class ErrorResponse(BaseModel):
    """``{"error": {"code", "message", "detail"}}`` — the body of every error."""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "请求有误（如 metadata 无效、政策 ID 无效）",
    401: "缺少或无效的 API 密钥",
    403: "角色权限不足",
    404: "对象不存在（或属于其他租户）",
    409: "冲突（如 Idempotency-Key 已用于不同请求、结果尚未就绪）",
    413: "请求体或文件超过上限",
    415: "不支持的文件类型",
    422: "参数校验失败或文件无法处理",
    429: "请求过于频繁（见 Retry-After）",
    503: "依赖服务暂不可用（见 Retry-After）",
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text} for status, text in _DESCRIPTIONS.items()
}


def install(app: Any) -> None:
    """Errors are JSON on every route, HTML pages included: FastAPI would label a page's error responses
    ``text/html``; the generated schema is corrected once, on first use."""
    generate = app.openapi
    ref = {"$ref": "#/components/schemas/ErrorResponse"}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return dict(app.openapi_schema)
        spec: dict[str, Any] = generate()
        for operations in spec.get("paths", {}).values():
            for op in operations.values():
                for status, response in op.get("responses", {}).items():
                    if status.isdigit() and int(status) in ERROR_RESPONSES:
                        response["content"] = {"application/json": {"schema": ref}}
        app.openapi_schema = spec
        return spec

    app.openapi = openapi
