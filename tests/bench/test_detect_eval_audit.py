"""The pan13 audit: containment separates a copied detection from an unrelated window."""

import json
from pathlib import Path

from bench.detect_eval import Audit

SOURCE = (
    "Volcanic ash clouds disrupt aviation because fine glass particles melt inside jet engines. "
    "Airlines reroute flights when satellite images show the plume drifting across busy corridors."
)
OTHER = "Orchard farmers prune apple trees in late winter so that sunlight reaches the fruiting spurs."


def test_unannotated_copy_contains_its_source_and_a_random_window_does_not(tmp_path: Path) -> None:
    rows = [{"id": "src", "text": SOURCE}, {"id": "other", "text": OTHER * 3}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    audit = Audit(tmp_path)
    audit.ids = ["other"]  # the random control draws only the unrelated document
    paper = "Fine glass particles from volcanic ash melt in jet engines, so ash clouds disrupt aviation."
    det = ("src", 0, len(paper), 0, 90)
    audit.add("random", paper, [], [det], ["other"])
    audit.add("random", paper, [("src", 0, 40, 0, 40)], [det], [])
    v = audit.values
    assert v[("random", "unannotated")][0] > 0.7
    assert v[("random", "annotated")] == v[("random", "unannotated")]
    assert v[("random", "random window")][0] < 0.2
    assert v[("random", "same-topic win")][0] < 0.2
