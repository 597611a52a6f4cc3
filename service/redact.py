"""Error bodies never name a server path: absolute file paths are cut to their last component.

Why here and not at each raise: core errors (policy files, corpora, ingest) name the file they could not
use, which helps on the CLI; through the API the same text would disclose the server's layout (issue 10).
"""

from __future__ import annotations

import re
from typing import Any

# An absolute POSIX path of two or more components, not part of a URL (``http://h/x``) or an API route.
_PART = r"[^\s/\"'“”：:，,；;（）()<>]"
_ABS_PATH = re.compile(rf"(?<![\w.:/~-])/(?!v1/)(?:{_PART}+/)+({_PART}*)")


def redact_paths(text: str) -> str:
    """``text`` with every absolute path replaced by its last component (``…/x.toml`` → ``x.toml``)."""
    return _ABS_PATH.sub(lambda m: m.group(1) or "…", text)


def redact(value: Any) -> Any:
    """``redact_paths`` applied to every string in a JSON-like value."""
    if isinstance(value, str):
        return redact_paths(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value
