from __future__ import annotations

from integrity.match.wording import classify_wording

SOURCE = "本文提出了一种基于深度学习的图像识别方法，实验结果表明该方法具有较高的准确率。"


def test_identical_and_traditional_copies_are_verbatim() -> None:
    for passage in (SOURCE, "本文提出了一種基於深度學習的圖像識別方法，實驗結果表明該方法具有較高的準確率。"):
        w = classify_wording(passage, SOURCE)
        assert w is not None and w.kind == "verbatim" and w.word_overlap == 1.0 and w.changed_words == 0
        assert w.label == "原文照搬"


def test_synonym_swaps_are_reworded_and_counted() -> None:
    reworded = "本研究给出了一种依据深度学习的图像辨识办法，试验结果显示此方法拥有较高的正确率。"
    w = classify_wording(reworded, SOURCE)
    assert w is not None and w.kind == "reworded" and w.label == "改写"
    assert 0.2 < w.word_overlap < 0.9
    assert w.changed_words >= 5


def test_one_changed_word_in_a_long_passage_stays_verbatim() -> None:
    long_source = SOURCE * 4
    w = classify_wording(long_source.replace("准确率", "正确率", 1), long_source)
    assert w is not None and w.kind == "verbatim" and w.changed_words == 1


def test_nothing_to_compare() -> None:
    assert classify_wording("，。；", SOURCE) is None
