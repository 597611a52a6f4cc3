"""Check one paper end to end: ingest → similarity → journal/policy verdict.

The CLI's ``integrity check`` and the service's jobs both call ``check_paper`` so the JSON they return
is the same for the same file, corpus and policy version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from integrity import __version__
from integrity.models import CheckOptions, ExtractedDocument, SimilarityReport
from integrity.settings import Settings, get_settings

SCHEMA_VERSION = 1


def check_paper(
    paper: Path,
    corpus_dir: Path | Sequence[Path],
    options: CheckOptions | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Return the check result as a JSON-ready dict (the CLI contract in DEVELOPERS.md).

    ``corpus_dir`` may be several directories (``--corpus A --corpus B``): all are searched, the first
    is the primary one; ``settings.base_corpora`` are searched too.
    """
    from integrity.corpus import Corpus
    from integrity.ingest import extract

    settings = settings or get_settings()
    options = options or CheckOptions()
    dirs = [Path(corpus_dir)] if isinstance(corpus_dir, str | Path) else [Path(d) for d in corpus_dir]
    doc = extract(Path(paper), settings)
    with (
        Corpus.open(dirs[0], settings) as corpus,
        search_corpora(corpus, str(dirs[0]), settings, dirs[1:]) as searched,
    ):
        similarity = compare_document(doc, searched, options)
        corpus_info = searched.describe()
    return build_result(Path(paper), doc, similarity, options, settings, corpus_info)


@contextmanager
def search_corpora(
    primary: Any, label: str, settings: Settings, extra_dirs: Sequence[Path] = ()
) -> Iterator[Any]:
    """The corpus a check searches: ``primary`` plus ``extra_dirs`` and the shared base corpora.

    Every source found then carries the label of its corpus (``sources[].corpus``); base corpora are
    opened read-only for the check and closed after it. A missing base corpus is an error naming it.
    """
    from integrity.corpus import Corpus
    from integrity.corpus.multi import MultiCorpus

    with ExitStack() as stack:
        parts: list[tuple[str, Any]] = [(label, primary)]
        seen = {str(Path(getattr(primary, "directory", label)).resolve())}
        for d in [*extra_dirs, *settings.base_corpora]:
            if str(Path(d).resolve()) in seen:
                continue
            seen.add(str(Path(d).resolve()))
            parts.append((str(d), stack.enter_context(Corpus.open(Path(d), settings))))
        yield MultiCorpus(parts)


def compare_document(doc: ExtractedDocument, corpus: Any, options: CheckOptions) -> SimilarityReport:
    """Similarity of an already-extracted document (used by batches, which reuse one open corpus)."""
    from integrity.match import compare

    report = compare(
        doc.text,
        corpus,
        references_span=doc.references_span,
        exclude_doc_ids=options.exclude_doc_ids,
        self_authors=options.self_authors,
        include_text=options.include_text,
    )
    label_of = getattr(corpus, "label_of", None)
    if label_of is not None:
        for source in report.sources:
            source.corpus = label_of(source.doc_id)
    return report


def build_result(
    paper: Path,
    doc: ExtractedDocument,
    similarity: SimilarityReport,
    options: CheckOptions,
    settings: Settings,
    corpus_info: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "engine": {"name": "integrity", "version": __version__},
        "paper": {"file_name": paper.name, "sha256": _sha256(paper), **doc.to_dict()},
        "corpus": corpus_info,
        "similarity": similarity.to_dict(),
    }
    # --- verdict (issue 6): journal catalogue + jurisdiction policy --------------------------
    # integrity.policy fills result["journal"] and result["verdict"] here when options.verdict.
    if options.verdict:
        from integrity.catalogue import Catalogue
        from integrity.policy import assess, load_policy

        policy = load_policy(options.policy_id, settings)
        catalogue = Catalogue.open(settings.catalogue_path)
        result.update(
            assess(
                doc,
                similarity,
                options.claims,
                policy,
                catalogue,
                corpus=corpus_info,
                min_corpus_documents=settings.min_corpus_documents,
            )
        )
    return result


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
