"""Reference corpus: document store, fingerprints and the LSH index (see ``store.Corpus``)."""

from integrity.corpus.store import Corpus, CorpusRecord, StoredDocument

__all__ = ["Corpus", "CorpusRecord", "StoredDocument"]
