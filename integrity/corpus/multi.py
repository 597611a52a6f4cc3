"""Several 比对库 searched as one: a tenant's own corpus plus shared base corpora (a province-wide corpus).

Why a wrapper and not one merged index: base corpora are built and updated by the operator on their own
schedule (and may use other fingerprint parameters); each keeps its own index, and every source found is
labelled with the corpus it came from. ``compare`` needs only ``candidates``, ``sentence_candidates``,
``load`` and ``complete``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from integrity.corpus.store import Corpus, StoredDocument


class MultiCorpus:
    """``parts`` are (label, open corpus); the first is the primary one (a tenant's own, or the CLI's)."""

    def __init__(self, parts: Sequence[tuple[str, Corpus]]) -> None:
        if not parts:
            raise ValueError("MultiCorpus needs at least one corpus")
        self.parts = list(parts)
        self._owner: dict[int, int] = {}  # id(StoredDocument) -> index of its corpus
        self._label_of_id: dict[str, str] = {}

    def __len__(self) -> int:
        return sum(len(c) for _, c in self.parts)

    def candidates(self, key: str, limit: int) -> list[tuple[Any, int]]:
        """Each corpus's best candidates, keys tagged with the corpus; the ``limit`` best overall."""
        return self._merged("candidates", key, limit)

    def sentence_candidates(self, key: str, limit: int) -> list[tuple[Any, int]]:
        """Each corpus's short-sentence candidates (winnowed fingerprints), tagged like ``candidates``."""
        return self._merged("sentence_candidates", key, limit)

    def reword_candidates(self, text: str, limit: int) -> list[tuple[Any, int]]:
        """Each corpus's reworded-English candidates (content-stem pairs), tagged like ``candidates``."""
        return self._merged("reword_candidates", text, limit)

    def _merged(self, method: str, key: str, limit: int) -> list[tuple[Any, int]]:
        hits: Counter[tuple[int, Any]] = Counter()
        for i, (_, corpus) in enumerate(self.parts):
            for k, n in getattr(corpus, method)(key, limit):
                hits[(i, k)] = n
        return hits.most_common(limit)

    def load(self, keys: Sequence[Any], *, full: bool = True) -> list[StoredDocument]:
        out: list[StoredDocument] = []
        for i, (label, corpus) in enumerate(self.parts):
            mine = [k for (j, k) in keys if j == i]
            if not mine:
                continue
            for doc in corpus.load(mine, full=full):
                self._owner[id(doc)] = i
                self._label_of_id.setdefault(doc.record.id, label)
                out.append(doc)
        order = {key: n for n, key in enumerate(keys)}
        return sorted(out, key=lambda d: order.get((self._owner[id(d)], self._key(d)), len(order)))

    def _key(self, doc: StoredDocument) -> Any:
        corpus = self.parts[self._owner[id(doc)]][1]
        return doc.rowid if corpus.lsh.keys_are_rowids else doc.record.id

    def complete(self, doc: StoredDocument) -> StoredDocument:
        i = self._owner.get(id(doc), 0)
        done = self.parts[i][1].complete(doc)
        self._owner[id(done)] = i
        return done

    def label_of(self, doc_id: str) -> str | None:
        """The label of the corpus a source came from (None for a document never loaded)."""
        return self._label_of_id.get(doc_id)

    def describe(self) -> dict[str, Any]:
        """The primary corpus's description, the total size and each corpus with its label and size."""
        parts = [{**c.describe(), "label": label} for label, c in self.parts]
        return {**parts[0], "documents": sum(int(p["documents"]) for p in parts), "corpora": parts}
