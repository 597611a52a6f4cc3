"""Is an extracted text layer readable? Garbled text must be detected, never scored as "0 % copied".

Signals: characters the PDF could not map to Unicode (fonts without ToUnicode: pdfium flags them,
pdfminer writes ``(cid:N)``), U+FFFD replacement and private-use characters, control characters, and
for a Chinese paper too few CJK characters, typically Latin-1 mojibake such as ``¹ú¼Ò`` where GBK bytes
were read as WinAnsi. A readable English paper (real words, vowels) is not flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ~470 most frequent Chinese characters (plus common academic ones), simplified and traditional. Real
# Chinese text of 200+ CJK characters has 39 %+ of its CJK characters in this set (min over 5,269 CSL
# abstracts, 42 % in traditional form, corpus mean 69 %); CJK text from a wrong font mapping or a wrong
# text encoding is close to uniform over ~20,000 code points (about 2 %).
_COMMON_HANZI = frozenset(
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头"
    "面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信"
    "北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物"
    "台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步"
    "完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞"
    "观争究包组造落视济喜离虽坏兴切团复称况率研究分析方法结果表明影响模型系统技术发展设计问题数据提出"
    # the same characters in traditional form (OpenCC s2t)
    "並來個們傳兒內兩別則動務區卻員問喫單國團報場壞學實寫將專對導師帶幹幾廣張強後從愛應戰據數於時書會東條業極樣機權歷氣決沒況滿濟無爭爲現產當發種稱紅組結給統經網總義聯聲聽臉臺與興華萬處"
    "衆術裏複見視親覺觀計記設許話該認語說誰請論識議讀變讓資車軍輕轉辦這連進運過達遠還邊錢長門開間關隊際雖雙離難電響領頭題風飛馬體麼黃點黨"
)
_CID_RE = re.compile(r"\(cid:\d+\)")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")


@dataclass
class TextQuality:
    chars: int  # non-space characters
    cjk: int
    latin_letters: int
    bad: int  # replacement, private use, control, (cid:N), unmapped
    latin1_symbols: int  # U+0080..U+02FF outside ASCII: mojibake marker
    word_vowel_ratio: float
    common_cjk: int = 0  # CJK characters among the most frequent ones

    @property
    def cjk_ratio(self) -> float:
        return self.cjk / self.chars if self.chars else 0.0

    @property
    def bad_ratio(self) -> float:
        return self.bad / self.chars if self.chars else 0.0


def measure(text: str, unmapped: int = 0) -> TextQuality:
    cid = len(_CID_RE.findall(text))
    stripped = _CID_RE.sub("", text)
    chars = cjk = latin = bad = latin1 = common = 0
    for ch in stripped:
        if ch.isspace():
            continue
        chars += 1
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            cjk += 1
            common += ch in _COMMON_HANZI
        elif ch.isascii() and ch.isalpha():
            latin += 1
        elif o == 0xFFFD or 0xE000 <= o <= 0xF8FF or o < 0x20 or 0x7F <= o < 0xA0:
            bad += 1
        elif 0xA0 <= o <= 0x2FF and ch not in "°±×÷·µ§¨©®":
            latin1 += 1
    words = _WORD_RE.findall(stripped)
    letters = sum(len(w) for w in words)
    vowels = sum(sum(1 for c in w.lower() if c in "aeiou") for w in words)
    return TextQuality(
        chars=chars + cid,
        cjk=cjk,
        latin_letters=latin,
        bad=bad + cid + unmapped,
        latin1_symbols=latin1,
        word_vowel_ratio=vowels / letters if letters else 0.0,
        common_cjk=common,
    )


def garbled_plain_text_reason(q: TextQuality) -> str | None:
    """Strong signals only, for TXT input (a wrong encoding guess): short or non-Chinese texts pass."""
    if q.chars >= 50 and q.bad_ratio > 0.05:
        return f"文本乱码：{q.bad_ratio:.0%} 的字符是替换符或控制字符（编码识别错误），上限 5%"
    if q.cjk >= 200 and q.common_cjk / q.cjk < 0.15:
        return (
            f"文本疑似乱码：常用汉字仅占 {q.common_cjk / q.cjk:.0%}（正常中文在 40% 以上），编码识别可能有误"
        )
    return None


def unreadable_reason(q: TextQuality, *, expect_chinese: bool, min_cjk_ratio: float) -> str | None:
    """A zh-CN reason when the text layer is unusable, else None."""
    if q.chars == 0:
        return "没有文字层"
    if q.bad_ratio > 0.05:
        return f"文字层乱码：{q.bad_ratio:.0%} 的字符无法映射为 Unicode（字体缺少 ToUnicode 映射），上限 5%"
    if q.latin1_symbols / q.chars > 0.15:
        return f"文字层乱码：{q.latin1_symbols / q.chars:.0%} 的字符是西文符号（疑似编码错误）"
    if q.cjk >= 200 and q.common_cjk / q.cjk < 0.15:
        return (
            f"文字层疑似乱码：常用汉字仅占 {q.common_cjk / q.cjk:.0%}（正常中文在 40% 以上），"
            "可能是字体编码映射错误"
        )
    if expect_chinese and q.cjk_ratio < min_cjk_ratio:
        readable_english = q.latin_letters / q.chars > 0.6 and 0.25 <= q.word_vowel_ratio <= 0.55
        if not readable_english:
            return f"文字层疑似乱码：中文字符仅占 {q.cjk_ratio:.0%}，低于中文论文下限 {min_cjk_ratio:.0%}"
    return None
