"""Journal catalogue: which journals exist, their ISSN/CN, former names, and the lists (北大核心 editions,
CSSCI, CSCD, provincial catalogues, warning lists) they belonged to in each year.

``Catalogue.open()`` is cached per process; ``integrity catalogue build`` makes the shipped snapshot.
"""

from __future__ import annotations

from integrity.catalogue.identifiers import IdCheck, check_cn, check_issn, normalise_name
from integrity.catalogue.store import Catalogue, Journal, JournalMatch, LevelAssessment
from integrity.catalogue.tiers import TierStatus

__all__ = [
    "Catalogue",
    "IdCheck",
    "Journal",
    "JournalMatch",
    "LevelAssessment",
    "TierStatus",
    "check_cn",
    "check_issn",
    "normalise_name",
]
