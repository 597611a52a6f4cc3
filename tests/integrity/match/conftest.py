"""Re-use the corpus fixtures (CSL abstracts) for matching tests."""

from tests.integrity.corpus.conftest import load_abstracts, make_records, records

__all__ = ["load_abstracts", "make_records", "records"]
