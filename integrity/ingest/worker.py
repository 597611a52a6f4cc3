"""Child-process entry point of the parse sandbox (see ``integrity.ingest.sandbox``).

Reads ``{"path", "kind", "engine", "settings"}`` as JSON on stdin, sets rlimits *before* importing any
parser, parses, and writes ``{"ok": true, "document": {...}}`` or ``{"ok": false, "error": {...}}`` as
JSON on stdout. Nothing else is written to stdout.
"""

from __future__ import annotations

import json
import math
import resource
import sys
from typing import Any


def _set_limits(settings: dict[str, Any]) -> None:
    mem = int(settings.get("parse_memory_mb", 1536)) * 1024 * 1024
    cpu = math.ceil(float(settings.get("parse_timeout_s", 120))) + 1
    for limit, value in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, 512 * 1024 * 1024),
        (resource.RLIMIT_CORE, 0),
    ):
        _soft, hard = resource.getrlimit(limit)
        new_hard = hard if hard != resource.RLIM_INFINITY and hard < value else value
        if limit == resource.RLIMIT_CPU and hard == resource.RLIM_INFINITY:
            new_hard = value + 5  # soft limit sends SIGXCPU, hard limit SIGKILL
        resource.setrlimit(limit, (min(value, new_hard), new_hard))


def main() -> int:
    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    _set_limits(request["settings"])
    out = sys.stdout
    try:
        from pathlib import Path
        from types import SimpleNamespace

        from integrity.errors import IntegrityError

        # the parent validated these with pydantic; a plain namespace spares the child ~0.3 s of imports
        settings: Any = SimpleNamespace(**request["settings"])
        data = Path(request["path"]).read_bytes()
        kind = request["kind"]
        try:
            if kind == "pdf":
                from integrity.ingest.pdf import NeedsOcr, extract_pdf

                try:
                    doc = extract_pdf(data, settings, request.get("engine") or "pypdfium2", defer_ocr=True)
                except NeedsOcr as need:
                    needs = {"reason": need.reason, "info": need.info, "pages": need.pages}
                    out.write(json.dumps({"ok": False, "needs_ocr": needs}))
                    out.flush()
                    return 0
            elif kind == "pdf_ocr":
                from integrity.ingest.pdf import ocr_document

                ocr = request["ocr"]
                doc = ocr_document(data, settings, ocr["reason"], ocr["info"], ocr.get("pages"))
            elif kind == "docx":
                from integrity.ingest.docx import extract_docx

                doc = extract_docx(data, settings)
            else:
                raise ValueError(f"unknown kind {kind!r}")
            from integrity.ingest.sandbox import document_to_json

            result: dict[str, Any] = {"ok": True, "document": document_to_json(doc)}
        except IntegrityError as exc:
            result = {"ok": False, "error": {"class": type(exc).__name__, **exc.to_dict()}}
        except MemoryError:
            mb = settings.parse_memory_mb
            result = {
                "ok": False,
                "error": {
                    "class": "ParseLimitExceeded",
                    "code": "parse_memory",
                    "message": f"解析超出内存上限 {mb} MB（文件过大或构造异常）",
                    "detail": {"limit_mb": mb},
                },
            }
        except RecursionError:
            result = {
                "ok": False,
                "error": {
                    "class": "InputError",
                    "code": "corrupt_file",
                    "message": "文件结构嵌套过深，无法解析",
                },
            }
        except Exception as exc:  # a parser bug or a file no parser expected: clear error, details on stderr
            import traceback

            traceback.print_exc(file=sys.stderr)
            result = {
                "ok": False,
                "error": {
                    "class": "InputError",
                    "code": "parse_failed",
                    "message": f"文件解析失败（{type(exc).__name__}），文件可能已损坏",
                },
            }
    except MemoryError:
        result = {
            "ok": False,
            "error": {"class": "ParseLimitExceeded", "code": "parse_memory", "message": "解析超出内存上限"},
        }
    out.write(json.dumps(result, ensure_ascii=False))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
