"""JSON from clients with bounds on size, nesting depth and number length, checked before parsing.

Why: ``json.loads`` recurses once per ``[``/``{`` (100k of them: RecursionError) and refuses integers of
more than 4,300 digits with a ValueError — both surfaced as 500 (issue 10). A bounded parse turns every
such input into one ``BoundedJsonError`` whose zh-CN message names the limit.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40


class BoundedJsonError(ValueError):
    """The text is not JSON, or passes one of the bounds; ``message`` is zh-CN."""

    def __init__(self, message: str, limit: str | None = None, value: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail: dict[str, Any] = {"limit": limit, limit: value} if limit else {}


def _depth(text: str, max_depth: int) -> None:
    """Raise when brackets outside strings nest deeper than ``max_depth`` (no recursion, one pass)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise BoundedJsonError(
                    f"JSON 嵌套过深：最多 {max_depth} 层", limit="max_json_depth", value=max_depth
                )
        elif ch in "]}":
            depth -= 1


def _number(kind: type) -> Any:
    def parse(token: str) -> Any:
        if len(token) > MAX_NUMBER_CHARS:
            raise BoundedJsonError(
                f"JSON 中的数字过长：最多 {MAX_NUMBER_CHARS} 个字符",
                limit="max_number_chars",
                value=MAX_NUMBER_CHARS,
            )
        return kind(token)

    return parse


def loads(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` within the bounds; ``BoundedJsonError`` for bad JSON and for every bound passed."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise BoundedJsonError(
                f"JSON 过长：最多 {max_bytes} 字节", limit="max_json_bytes", value=max_bytes
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BoundedJsonError("JSON 不是有效的 UTF-8 文本") from exc
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise BoundedJsonError(f"JSON 过长：最多 {max_bytes} 字节", limit="max_json_bytes", value=max_bytes)
    _depth(text, max_depth)
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float))
    except json.JSONDecodeError as exc:
        raise BoundedJsonError(f"不是有效的 JSON：{exc.msg}（第 {exc.pos} 个字符）") from exc
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, BoundedJsonError):
            raise
        raise BoundedJsonError("不是有效的 JSON") from exc
