"""Per-stage time of a check, measured by wrapping the engine's stage functions with timers.

Why wrapping rather than hooks in the engine: the engine must not carry benchmark code, and a profiler's
overhead distorts the split. Each stage is a list of functions (``module:qualname``); a wrapper adds the
time spent in it *exclusive* of nested stage functions, so stages never double count and
"other" = total − Σ stages. A function is replaced wherever the same object is bound in a loaded
``integrity.*`` module (``from x import f`` copies included). Missing functions are listed, not fatal: the
engine's internals may move, and the benchmark then says which stage it could not see.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# The engine's stage functions (integrity/text, integrity/corpus, integrity/match). ``kgram_hashes`` is not
# wrapped: its time goes to the stage that calls it (the paper's own k-grams in ``compare`` land in
# "other", the sources' k-grams inside ``align`` in "alignment").
STAGES: dict[str, list[str]] = {
    "normalise": ["integrity.text.normalise:normalise", "integrity.text.normalise:match_key"],
    "fingerprint": ["integrity.corpus.store:Corpus.query_bands"],
    "candidates": ["integrity.corpus.store:Corpus.candidates"],
    "load": ["integrity.corpus.store:Corpus.load"],
    "alignment": [
        "integrity.match.align:align",
        "integrity.match:_resolve_overlaps",
        "integrity.match:_to_passage",
    ],
    "metrics": ["integrity.match.metrics:build_report", "integrity.match.metrics:detect_references"],
}


def _resolve(spec: str) -> tuple[Any, str, Any] | None:
    mod_name, _, qual = spec.partition(":")
    try:
        obj: Any = importlib.import_module(mod_name)
    except ImportError:
        return None
    parts = qual.split(".")
    owner = obj
    for p in parts:
        owner, obj = obj, getattr(obj, p, None)
        if obj is None:
            return None
    return owner, parts[-1], obj


class StageClock:
    """Exclusive seconds and call counts per stage while ``active()``."""

    def __init__(
        self, stages: dict[str, list[str]] | None = None, clock: Callable[[], float] = time.perf_counter
    ):
        self.stages = stages if stages is not None else STAGES
        self.clock = clock  # time.process_time: CPU seconds, robust to other load on a shared host
        self.seconds: dict[str, float] = {name: 0.0 for name in self.stages}
        self.calls: dict[str, int] = {name: 0 for name in self.stages}
        self.missing: list[str] = []
        self._stack: list[list[float]] = []  # [start, child seconds]

    def _wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        clock = self

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            frame = [clock.clock(), 0.0]
            clock._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = clock.clock() - frame[0]
                clock._stack.pop()
                clock.seconds[stage] += elapsed - frame[1]
                clock.calls[stage] += 1
                if clock._stack:
                    clock._stack[-1][1] += elapsed

        return timed

    @contextmanager
    def active(self) -> Iterator[StageClock]:
        patched: list[tuple[Any, str, Any]] = []
        try:
            for stage, specs in self.stages.items():
                for spec in specs:
                    found = _resolve(spec)
                    if found is None:
                        self.missing.append(spec)
                        continue
                    owner, attr, fn = found
                    wrapped: Any = self._wrap(stage, fn)
                    if isinstance(owner, type):  # keep static/class methods what they were
                        raw = inspect.getattr_static(owner, attr)
                        if isinstance(raw, staticmethod):
                            wrapped = staticmethod(wrapped)
                        elif isinstance(raw, classmethod):
                            wrapped = classmethod(self._wrap(stage, raw.__func__))
                    targets = [(owner, attr)]
                    if isinstance(owner, type(sys)):  # module-level function: patch every alias too
                        targets += [
                            (m, name)
                            for m in list(sys.modules.values())
                            if getattr(m, "__name__", "").startswith("integrity") and m is not owner
                            for name, val in list(vars(m).items())
                            if val is fn
                        ]
                    for o, a in targets:
                        patched.append((o, a, inspect.getattr_static(o, a)))
                        setattr(o, a, wrapped)
            yield self
        finally:
            for o, a, original in reversed(patched):
                setattr(o, a, original)

    def per_check_ms(self, checks: int, total_s: float) -> dict[str, float]:
        out = {name: round(1000 * s / max(1, checks), 3) for name, s in self.seconds.items()}
        out["other"] = round(1000 * (total_s - sum(self.seconds.values())) / max(1, checks), 3)
        out["total"] = round(1000 * total_s / max(1, checks), 3)
        return out
