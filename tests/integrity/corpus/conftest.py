"""Corpus fixtures built from the shared CSL abstracts (real Chinese text, Apache-2.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from integrity.corpus import CorpusRecord


def load_abstracts(shared_dir: Path, n: int, offset: int = 0) -> list[dict]:
    out: list[dict] = []
    with (shared_dir / "data" / "abstracts" / "csl_abstracts.jsonl").open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i < offset:
                continue
            if len(out) >= n:
                break
            out.append(json.loads(line))
    return out


def make_records(shared_dir: Path, n_docs: int, per_doc: int = 8, offset: int = 0) -> list[CorpusRecord]:
    abstracts = load_abstracts(shared_dir, n_docs * per_doc, offset)
    recs = []
    for d in range(n_docs):
        part = abstracts[d * per_doc : (d + 1) * per_doc]
        recs.append(
            CorpusRecord(
                id=f"doc-{d:03d}",
                title=part[0]["title"] or part[0]["text"][:20],
                text="\n".join(a["text"] for a in part),
                authors=[f"作者{d}"],
                year=2015 + d % 5,
            )
        )
    return recs


@pytest.fixture(scope="session")
def records(shared_dir: Path) -> list[CorpusRecord]:
    return make_records(shared_dir, 30)
