"""Alignment internals on hand-made anchors: chaining, shuffled runs, degenerate clusters."""

from __future__ import annotations

from integrity.match.align import Anchor, Cluster, _merge_reordered, align, chain


def _cluster(q0: int, q1: int, s0: int, s1: int) -> Cluster:
    return Cluster(q0, q1, s0, s1, [Anchor(q0, s0, q1 - q0)])


def test_merge_reordered_keeps_clusters_wider_than_the_window() -> None:
    a = _cluster(0, 10, 0, 1000)
    b = _cluster(20, 30, 5000, 6000)
    out = _merge_reordered([b, a])
    assert [(c.q0, c.s0) for c in out] == [(0, 0), (20, 5000)]


def test_shuffled_sentences_become_one_passage() -> None:
    # paper: sentence 2 then sentence 1 of the source, adjacent
    anchors = [Anchor(0, 300, 200), Anchor(205, 0, 290)]
    out = chain(anchors)
    assert len(out) == 1
    assert (out[0].q0, out[0].q1, out[0].s0, out[0].s1) == (0, 495, 0, 500)


def test_align_finds_exact_and_edited_copy() -> None:
    src = "数据挖掘是从大量数据中提取隐含信息的过程本文提出一种改进的聚类算法并在公开数据集上验证了其有效性"
    paper = "引言部分的文字与来源无关" + src.replace("改进的", "新型的") + "结尾部分同样与来源无关"
    (c,) = align(paper, src)
    assert c.s0 == 0 and c.s1 == len(src)
    assert paper[c.q0 : c.q1].startswith("数据挖掘") and paper[c.q0 : c.q1].endswith("有效性")
