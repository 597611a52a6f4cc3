"""Bibliographic metadata and the 参考文献 span, each field tagged with where it came from.

Sources, most to least trusted: ``running_header`` (the journal's own page header removed by the layout
step), ``pdf_info`` / ``docx_core`` (document properties, often filled by the journal's production tool,
sometimes by nobody), ``first_page`` (front matter of a PDF/DOCX), ``text`` (the opening lines of a TXT).
Supplement markers are looked for only in headers and front matter before 摘要: the body of a paper may
say "专辑" or "论文集" in passing, which says nothing about where it was published.
"""

from __future__ import annotations

import re
from collections import Counter

from integrity.models import ExtractedDocument, MetaField

_CJK = r"\u4e00-\u9fff"
_ISSN_RE = re.compile(r"ISSN\s*[:：]?\s*(\d{4})\s*[-‐–]\s*(\d{3}[\dXx])")
_CN_RE = re.compile(r"CN\s*[:：]?\s*(\d{2})\s*[-‐–]\s*(\d{4})\s*/\s*([A-Z]{1,2}\d{0,3}(?:\.\d+)?)")
_DOI_RE = re.compile(r"(?:DOI|doi)?\s*[:：]?\s*(10\.\d{4,9}/[^\s，。；;,\u4e00-\u9fff]+)")
_ARTICLE_NO_RE = re.compile(r"文章编号\s*[:：]?\s*([0-9A-Za-z][0-9A-Za-z()（）\-–/.]{5,40})")
_YEAR_ISSUE_RE = re.compile(
    r"((?:19|20)\d{2})\s*年\s*(?:第\s*(\d{1,3})\s*卷\s*)?第?\s*(\d{1,2}|[Ss]\d|增刊\s*\d?)\s*期"
)
_VOLUME_RE = re.compile(r"第\s*(\d{1,3})\s*卷|Vol\.?\s*(\d{1,3})", re.IGNORECASE)
_ISSUE_EN_RE = re.compile(r"No\.?\s*(\d{1,2}|S\d)\b", re.IGNORECASE)
_CITATION_RE = re.compile(
    r"((?:19|20)\d{2})\s*[,，]\s*(?:Vol\.?\s*)?(\d{1,3})?\s*[(（]\s*(\d{1,2}|[Ss]\d|增刊\s*\d?)\s*[)）]\s*"
    r"(?:[:：]\s*(\d{1,5}\s*[-–~～]\s*\d{1,5}))?"
)
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_PAGES_RE = re.compile(r"(?:页码|pp?\.)\s*[:：]?\s*(\d{1,5}\s*[-–~～]\s*\d{1,5})", re.IGNORECASE)
_SUPPLEMENT_RE = re.compile(
    r"增刊|专刊|特刊|专辑|副刊|论文集|[(（]\s*S\d\s*[)）]|第?\s*S\d\s*期|Suppl(?:ement)?\.?\s*\d?|Special\s+Issue",
    re.IGNORECASE,
)
_ABSTRACT_RE = re.compile(
    r"(?:【\s*摘\s*要\s*】|\[\s*摘\s*要\s*\]|摘\s{0,3}要)\s*[:：]?\s*(.+?)"
    r"(?=\s*(?:【\s*关键词\s*】|\[\s*关键词\s*\]|关\s*键\s*[词字]|Key\s*words|中图分类号)|\Z)",
    re.DOTALL,
)
_KEYWORDS_RE = re.compile(r"(?:【\s*关键词\s*】|\[\s*关键词\s*\]|关\s*键\s*[词字])\s*[:：]?\s*([^\n]+)")
_REFERENCES_RE = re.compile(
    r"^[ \t\u3000]*(?:参\s*考\s*文\s*献|主要参考文献|References|REFERENCES|Bibliography)[ \t\u3000]*[:：]?"
    r"[ \t\u3000]*(?=$|\n|\[\s*1\s*\]|［\s*1\s*］|1[.、．]\s*\S)",
    re.MULTILINE,
)
_AFTER_REFERENCES_RE = re.compile(
    r"^[ \t\u3000]*(?:附\s*录|作者简介|收稿日期|致\s*谢|Appendix)", re.MULTILINE | re.IGNORECASE
)
_FRONT_NOISE_RE = re.compile(
    r"DOI|doi|文章编号|中图分类号|文献标[志识]码|ISSN|CN\s*\d|收稿日期|基金项目|作者简介|(?:19|20)\d{2}\s*年[^。]{0,12}[卷期]|"
    r"Vol\.|No\.|学报|杂志|^\s*[·\-–—]?\s*\d+\s*[·\-–—]?\s*$"
)
_ID_LINE_RE = re.compile(
    r"文章编号|DOI|doi|引用格式|引文格式|ISSN|CN\s*\d|(?:19|20)\d{2}\s*年[^。]{0,12}[卷期]"
)
_AFFILIATION_RE = re.compile(r"大学|学院|研究所|研究院|医院|中心|公司|学校|实验室|局|站|厂|\d{6}")
_NAME_TOKEN = rf"[{_CJK}·]{{2,5}}[\d,，*＊\s]*"
_AUTHOR_LABEL_RE = re.compile(r"^\s*(?:作\s*者|著\s*者|authors?)\s*[:：]\s*", re.IGNORECASE)
_AUTHORS_RE = re.compile(rf"^\s*({_NAME_TOKEN})(?:[,，、\s;；]+({_NAME_TOKEN}))*\s*$")


def find_references(text: str) -> tuple[int, int] | None:
    """[start, end) of the 参考文献 section: the last heading in the latter part of the text to the next
    trailing section (附录, 作者简介, 收稿日期, 致谢) or the end."""
    matches = [m for m in _REFERENCES_RE.finditer(text) if m.start() >= len(text) * 0.2]
    if not matches:
        return None
    start = matches[-1].start()
    while start < len(text) and text[start] in " \t\u3000":
        start += 1
    end = len(text)
    after = _AFTER_REFERENCES_RE.search(text, matches[-1].end())
    if after:
        end = after.start()
        while end > start and text[end - 1] in "\n \t":
            end -= 1
    return (start, end) if end > start else None


def fill_metadata(
    doc: ExtractedDocument,
    *,
    front: str,
    headers: list[str],
    info: dict[str, str] | None = None,
    info_source: str = "pdf_info",
    front_source: str = "first_page",
) -> None:
    """Fill ``doc.metadata`` and ``doc.references_span`` in place."""
    info = info or {}
    md = doc.metadata
    doc.references_span = find_references(doc.text)
    front = front[:5000]
    abstract_at = _ABSTRACT_RE.search(front)
    front_matter = front[: abstract_at.start()] if abstract_at else front[:1500]
    header_text = "\n".join(headers)

    # --- title, authors, affiliations -----------------------------------------------------------
    lines = [ln.strip() for ln in front_matter.splitlines() if ln.strip()]
    title_idx = None
    for i, ln in enumerate(lines[:12]):
        if _FRONT_NOISE_RE.search(ln) or len(ln) < 4 or len(ln) > 80:
            continue
        title_idx = i
        break
    info_title = _clean_info(info.get("Title") or info.get("title"))
    if info_title and (not front or re.sub(r"\s", "", info_title)[:10] in re.sub(r"\s", "", front[:800])):
        md.title = MetaField(info_title, info_source)
    elif title_idx is not None:
        md.title = MetaField(lines[title_idx], front_source, 0.7)
    elif info_title:
        md.title = MetaField(info_title, info_source, 0.5)
    rest = lines[title_idx + 1 : title_idx + 6] if title_idx is not None else []
    for labelled in rest[:3]:
        ln = _AUTHOR_LABEL_RE.sub("", labelled)  # "作者：王明 李华" as some templates print it
        if _AUTHORS_RE.match(ln) and not _AFFILIATION_RE.search(ln):
            names = [
                re.sub(r"[\d,，*＊\s]+$", "", t).strip()
                for t in re.split(r"[,，、;；]|\s{1,}(?=[^\d\s])", ln)
            ]
            names = [n for n in names if 2 <= len(n) <= 5]
            if names:
                md.authors = MetaField(names, front_source, 0.7)
                break
    info_author = _clean_info(info.get("Author") or info.get("author"))
    if md.authors is None and info_author and info_author in front:
        md.authors = MetaField(re.split(r"[,，、;；]\s*", info_author), info_source)
    affiliations: list[str] = []
    for ln in rest:
        inner = re.sub(r"^[(（]|[)）]$", "", ln)
        if (
            _AFFILIATION_RE.search(inner)
            and len(inner) <= 100
            and not inner.endswith(("。", "."))
            and not _AUTHORS_RE.match(ln)
        ):
            affiliations.extend(a.strip(" ;；") for a in re.split(r"[;；]", inner) if a.strip(" ;；"))
    if affiliations:
        md.affiliations = MetaField(affiliations, front_source, 0.6)

    # --- abstract, keywords ---------------------------------------------------------------------
    if abstract_at:
        abstract = re.sub(r"\s*\n\s*", "", abstract_at.group(1)).strip()[:3000]
        if abstract:
            md.abstract = MetaField(abstract, front_source)
    kw = _KEYWORDS_RE.search(front)
    if kw:
        md.keywords = MetaField(_split_keywords(kw.group(1)), front_source)
    elif info.get("Keywords"):
        md.keywords = MetaField(_split_keywords(info["Keywords"]), info_source)

    # --- journal identifiers: headers first, then front matter ----------------------------------
    id_lines = "\n".join(ln for ln in front[:3000].splitlines() if _ID_LINE_RE.search(ln))
    sources = [(header_text, "running_header"), (front_matter + "\n" + id_lines, front_source)]
    if info:
        sources.append(("\n".join(f"{v}" for v in info.values()), info_source))
    for text, src in sources:
        if not text:
            continue
        if md.issn is None and (m := _ISSN_RE.search(text)):
            md.issn = MetaField(f"{m.group(1)}-{m.group(2).upper()}", src)
        if md.cn is None and (m := _CN_RE.search(text)):
            md.cn = MetaField(f"{m.group(1)}-{m.group(2)}/{m.group(3)}", src)
        if md.doi is None and (m := _DOI_RE.search(text)):
            md.doi = MetaField(m.group(1).rstrip(".)）"), src)
        if md.article_number is None and (m := _ARTICLE_NO_RE.search(text)):
            md.article_number = MetaField(m.group(1), src)
        if (m := _YEAR_ISSUE_RE.search(text)) and md.year is None:
            md.year = MetaField(int(m.group(1)), src)
            if m.group(2) and md.volume is None:
                md.volume = MetaField(m.group(2), src)
            if md.issue is None:
                md.issue = MetaField(re.sub(r"\s", "", m.group(3)), src)
        if (m := _CITATION_RE.search(text)) and md.year is None:
            md.year = MetaField(int(m.group(1)), src, 0.8)
            if m.group(2) and md.volume is None:
                md.volume = MetaField(m.group(2), src, 0.8)
            if md.issue is None:
                md.issue = MetaField(re.sub(r"\s", "", m.group(3)), src, 0.8)
            if m.group(4) and md.pages is None:
                md.pages = MetaField(re.sub(r"\s", "", m.group(4)), src, 0.8)
        if md.volume is None and (m := _VOLUME_RE.search(text)):
            md.volume = MetaField(m.group(1) or m.group(2), src, 0.8)
        if md.issue is None and (m := _ISSUE_EN_RE.search(text)):
            md.issue = MetaField(m.group(1), src, 0.8)
        if md.pages is None and (m := _PAGES_RE.search(text)):
            md.pages = MetaField(re.sub(r"\s", "", m.group(1)), src, 0.8)
        if md.year is None and src != front_source and (m := _YEAR_RE.search(text)):
            md.year = MetaField(int(m.group(1)), src, 0.6)
        if md.supplement is None and (m := _SUPPLEMENT_RE.search(text)):
            md.supplement = MetaField(re.sub(r"\s", "", m.group(0)), src)

    journal = _journal_from_headers(headers)
    front_journal = _journal_from_headers([ln for ln in lines[:3] if _YEAR_ISSUE_RE.search(ln)])
    if journal:
        md.journal = MetaField(journal, "running_header", 0.8)
    elif front_journal:
        md.journal = MetaField(front_journal, front_source, 0.7)
    elif m := re.search(rf"《([{_CJK}A-Za-z0-9（）()·\s]{{2,40}})》", front_matter):
        md.journal = MetaField(m.group(1).strip(), front_source, 0.6)
    elif info.get("Subject") and re.search(
        rf"[{_CJK}]{{2,}}(?:学报|杂志|研究|科学|通讯|论坛)", info["Subject"]
    ):
        md.journal = MetaField(info["Subject"].strip(), info_source, 0.6)


def _journal_from_headers(headers: list[str]) -> str | None:
    names: Counter[str] = Counter()
    for h in headers:
        name = _YEAR_ISSUE_RE.sub("", h)
        name = re.sub(r"(?:19|20)\d{2}\s*年.*$|第\s*\d+\s*卷.*$|Vol\..*$|ISSN.*$|CN\s*\d.*$", "", name)
        name = name.strip().strip(" ·,，|/-—\u3000").strip()
        if len(re.findall(rf"[{_CJK}]", name)) >= 2 and len(name) <= 40:
            names[name] += 1
    if not names:
        return None
    return names.most_common(1)[0][0]


def _split_keywords(raw: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[;；,，、]", raw) if p.strip()]
    if len(parts) == 1:
        parts = [p for p in re.split(r"\s+", parts[0]) if p]
    return parts[:20]


def _clean_info(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if (
        not value
        or value.lower() in {"untitled", "(unspecified)", "unknown"}
        or value.endswith((".doc", ".docx"))
    ):
        return None
    return value
