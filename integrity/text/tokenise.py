"""Word segmentation with jieba, loaded lazily once per process.

Why lazy: ``integrity check`` runs as a fresh process per paper and the matcher works on characters, so
jieba (≈1 s to build its dictionary) must not be paid on that path. When it is needed (keyword
extraction, catalogue fuzzy matching) its dictionary cache is kept under ``settings.data_dir/cache`` so
later processes load the cached prefix dictionary instead of rebuilding it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from integrity.settings import Settings, get_settings

_lock = threading.Lock()
_tokenizer: Any = None


def _get_tokenizer(settings: Settings | None = None) -> Any:
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            settings = settings or get_settings()
            cache_dir = settings.data_dir / "cache"
            try:
                cache_dir.mkdir(parents=True, exist_ok=True)
                jieba.dt.tmp_dir = str(cache_dir)
            except OSError:
                pass  # read-only data dir: jieba falls back to the system temp dir
            jieba.dt.initialize()
            _tokenizer = jieba.dt
    return _tokenizer


def tokenise(text: str, settings: Settings | None = None) -> list[str]:
    """Words of ``text`` (jieba precise mode), whitespace tokens dropped."""
    return [w for w in _get_tokenizer(settings).lcut(text) if w.strip()]


def tokenise_spans(text: str, settings: Settings | None = None) -> list[tuple[str, int, int]]:
    """Words with their ``[start, end)`` offsets in ``text``."""
    return [(w, s, e) for w, s, e in _get_tokenizer(settings).tokenize(text) if w.strip()]
