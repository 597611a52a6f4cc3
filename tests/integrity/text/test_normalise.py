"""Normalisation: variants fold to one match key, and every offset maps back to the same character."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.text import match_key, normalise
from integrity.text.normalise import _fold_char, word_token

SIMPLIFIED = "研究结果表明，该方法在复杂环境下具有较好的鲁棒性和实时性。"


def test_traditional_fullwidth_and_linebreak_variants_share_one_key() -> None:
    base = match_key("本文提出了一种基于深度学习的图像识别方法，准确率达到95.5%（ABC模型）。")
    traditional = match_key("本文提出了一種基於深度學習的圖像識別方法,準確率達到９５.５％(ＡＢＣ模型).")
    pdf_broken = match_key("本文提出了一种基于深度学\n习的图像识别方法 ，准确率达到\r\n95.5%（abc模型）。")
    assert base.text == traditional.text == pdf_broken.text
    words = [base.text[i] for i in range(len(base.text)) if base.is_word(i)]
    assert (
        "".join(c for c in base.text if c not in words)
        == "本文提出了一种基于深度学习的图像识别方法准确率达到模型"
    )
    assert words == [word_token("95"), word_token("5"), word_token("abc")]


def test_english_words_are_tokens_with_spans_into_the_input() -> None:
    """Case, end-of-line hyphenation, ligatures, quotes and dashes, PDF line breaks: one key."""
    clean = match_key('The "final" example - of fine matching.')
    messy = match_key("THE \u201cﬁnal\u201d exam-\nple \u2014 of\r\nfine match-\n  ing.")
    assert clean.text == messy.text and len(clean.text) == 6
    src = "THE \u201cﬁnal\u201d exam-\nple \u2014 of\r\nfine match-\n  ing."
    spans = [src[s:e] for s, e in (messy.span_to_original(i, i + 1) for i in range(len(messy.text)))]
    assert spans == ["THE", "ﬁnal", "exam-\nple", "of", "fine", "match-\n  ing"]


def test_mixed_paper_words_and_characters_in_one_key() -> None:
    key = match_key("采用 Long Short-Term Memory 网络")
    assert [key.is_word(i) for i in range(len(key.text))] == [
        False,
        False,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_line_break_inside_sentence_dropped_paragraph_kept() -> None:
    nt = normalise("第一句话没有\n结束。\n第二段开始 of English\ntext.")
    assert nt.text == "第一句话没有结束.\n第二段开始 of English text."


def test_offsets_point_into_original() -> None:
    src = "  漢字，\n乾燥　ＡＢＣ ㎡ 後來"
    nt = normalise(src)
    for i, ch in enumerate(nt.text):
        o = nt.to_original(i)
        if ch == " ":
            assert src[o].isspace()
        else:
            assert ch in normalise(src[o]).text or ch in _fold_char(src[o]) or src[o] in "乾後來漢"
    key = match_key(src)
    for i, ch in enumerate(key.text):
        orig = src[int(key.offsets[i]) : int(key.ends[i])]
        if key.is_word(i):
            assert word_token(unicodedata.normalize("NFKC", orig)) == ch
        else:
            assert ch in unicodedata.normalize("NFKC", orig).lower() or ch in "汉干后来"


_ALPHABET = st.sampled_from([*"研究方法結果，。、；：（）() \n\t\u3000ＡＢＣabc１２3４.%％—…“”", "㎡", "①"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_offset_map_property(text: str) -> None:
    """Each normalised character comes from the original character its offset points at."""
    nt = normalise(text)
    assert len(nt.offsets) == len(nt.text)
    assert list(nt.offsets) == sorted(nt.offsets)
    for i, ch in enumerate(nt.text):
        orig = text[nt.to_original(i)]
        if ch == " " or ch == "\n":
            assert orig.isspace()
        else:
            assert ch in _fold_char(orig) or ch in normalise(orig).text, (ch, orig)
    key = match_key(text)
    for i, ch in enumerate(key.text):
        orig = text[int(key.offsets[i]) : int(key.ends[i])]
        if key.is_word(i):
            assert word_token(normalise(orig).text) == ch
        else:
            assert ch in _fold_char(orig).lower() or ch in normalise(orig).text.lower()
    s, e = key.span_to_original(0, len(key.text)) if key.text else (0, 0)
    assert 0 <= s <= e <= len(text)


def test_check_path_does_not_import_jieba_or_scipy() -> None:
    """``integrity check`` runs per paper: the matching path must not pay jieba's or scipy's start-up."""
    code = (
        "import sys, integrity.text, integrity.corpus, integrity.match, integrity.check;"
        "print(sorted(m for m in ('jieba', 'scipy', 'datasketch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tokenise_with_jieba(tmp_path) -> None:
    from integrity.settings import Settings
    from integrity.text.tokenise import tokenise, tokenise_spans

    words = tokenise(SIMPLIFIED, Settings(data_dir=tmp_path))
    assert "研究" in words and "方法" in words
    for w, s, e in tokenise_spans(SIMPLIFIED):
        assert SIMPLIFIED[s:e] == w
