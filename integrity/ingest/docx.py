"""DOCX extraction (python-docx) behind zip-bomb and XML-entity guards. Runs inside the sandboxed worker.

Why the guards come first: a DOCX is a zip of XML parts. Declared sizes in the zip directory can lie, so
every part is actually decompressed with a running cap (``settings.max_unzipped_bytes``) before
python-docx sees the file; every XML part is parsed by defusedxml, which refuses DTDs and entity
declarations (billion laughs, external entities). Only then does python-docx read paragraphs and tables in
body order; footnotes and endnotes are read from their parts directly.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING, Any

from integrity.batch.zipsafe import ZIP_ERRORS
from integrity.errors import InputError, ParseLimitExceeded
from integrity.ingest.metadata import fill_metadata
from integrity.models import ExtractedDocument, MetaField

if TYPE_CHECKING:
    from integrity.settings import Settings

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_PARTS = 2000
_MAX_RATIO = 200  # uncompressed / compressed for one XML part


# ZIP_ERRORS (shared with the batch unpacker), plus RuntimeError: an encrypted member
_DAMAGED: tuple[type[BaseException], ...] = (*ZIP_ERRORS, RuntimeError)


class ZipBomb(ParseLimitExceeded):
    code = "zip_bomb"


class UnsafeXml(InputError):
    code = "unsafe_xml"


def check_zip(data: bytes, settings: Settings) -> dict[str, bytes]:
    """Decompress every part under the caps; return the XML parts (name → bytes)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise InputError(f"DOCX 文件已损坏或不完整（{exc}）", code="corrupt_file") from None
    limit = settings.max_unzipped_bytes
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_PARTS:
            raise ZipBomb(f"DOCX 内部文件过多：{len(infos)} 个，上限 {_MAX_PARTS} 个")
        total = 0
        parts: dict[str, bytes] = {}
        for info in infos:
            if info.is_dir():
                continue
            if info.file_size > limit or total + info.file_size > limit:
                raise ZipBomb(_bomb_message(total + info.file_size, limit))
            read = 0
            chunks: list[bytes] = []
            keep = info.filename.endswith((".xml", ".rels"))
            try:
                with zf.open(info) as f:
                    while block := f.read(1 << 20):
                        read += len(block)
                        total += len(block)
                        if total > limit:
                            raise ZipBomb(_bomb_message(total, limit))
                        if keep:
                            if read > 20 * 1024 * 1024 and read > _MAX_RATIO * max(info.compress_size, 1):
                                raise ZipBomb(
                                    f"DOCX 中的 {info.filename} 解压比超过 {_MAX_RATIO} 倍，"
                                    "疑似压缩炸弹，已拒绝"
                                )
                            chunks.append(block)
            except _DAMAGED as exc:
                raise InputError(
                    f"DOCX 文件已损坏或不完整（{info.filename}: {exc}）", code="corrupt_file"
                ) from None
            if keep:
                parts[info.filename] = b"".join(chunks)
    if "word/document.xml" not in parts:
        raise InputError("不是有效的 DOCX：缺少 word/document.xml", code="corrupt_file")
    return parts


def _bomb_message(total: int, limit: int) -> str:
    return f"DOCX 解压后过大：超过 {limit / 1024 / 1024:.0f} MB 上限，疑似压缩炸弹，已拒绝"


def check_xml(parts: dict[str, bytes]) -> None:
    """Refuse DTDs / entity declarations in any XML part (defusedxml)."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    for name, xml in parts.items():
        if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
            raise UnsafeXml(f"DOCX 中的 {name} 含有 DTD/实体声明（可能是 XML 实体攻击），已拒绝")
        try:
            fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            raise UnsafeXml(f"DOCX 中的 {name} 含有 DTD/实体声明（可能是 XML 实体攻击），已拒绝") from None
        except Exception as exc:  # ParseError
            raise InputError(f"DOCX 中的 {name} 不是有效的 XML（{exc}）", code="corrupt_file") from None


def extract_docx(data: bytes, settings: Settings) -> ExtractedDocument:
    import docx

    parts = check_zip(data, settings)
    check_xml(parts)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise InputError(f"DOCX 文件无法打开（{type(exc).__name__}）", code="corrupt_file") from None
    blocks: list[str] = []
    tables = _body_blocks(document.element.body, blocks)
    body = "\n".join(b for b in blocks if b.strip())
    notes = _notes(parts, "word/footnotes.xml", "footnote") + _notes(parts, "word/endnotes.xml", "endnote")
    text = body + ("\n" + "\n".join(notes) if notes else "")
    if not text.strip():
        raise InputError("DOCX 中没有文字（可能只有图片）：请提交含文字的文档", code="empty_file")
    warnings = []
    if tables:
        warnings.append(f"已读取 {tables} 个表格")
    if notes:
        warnings.append(f"已读取 {len(notes)} 条脚注/尾注（附在正文后）")
    doc = ExtractedDocument(text=text, file_type="docx", engine="python-docx", warnings=warnings)
    info = _core_info(document)
    fill_metadata(doc, front=body[:5000], headers=[], info=info, info_source="docx_core")
    if doc.references_span and doc.references_span[1] > len(body):  # notes are appended after the body
        doc.references_span = (doc.references_span[0], len(body))
    if doc.metadata.title is None and info.get("Title"):
        doc.metadata.title = MetaField(info["Title"], "docx_core", 0.5)
    return doc


def _body_blocks(container: Any, blocks: list[str]) -> int:
    """Paragraphs and table rows in document order, descending into content controls (``w:sdt``);
    returns the number of tables."""
    tables = 0
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            blocks.append(_paragraph_text(child))
        elif tag == f"{_W}tbl":
            tables += 1
            blocks.extend(_table_rows(child))
        elif tag == f"{_W}sdt":
            for content in child.iterchildren(f"{_W}sdtContent"):
                tables += _body_blocks(content, blocks)
    return tables


def _paragraph_text(p: Any) -> str:
    """Text of a ``w:p`` element: runs, tabs, breaks (python-docx semantics, without the wrapper)."""
    out: list[str] = []
    for el in p.iter():
        tag = el.tag
        if tag == f"{_W}t":
            out.append(el.text or "")
        elif tag == f"{_W}tab":
            out.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            out.append("\n")
    return "".join(out)


def _table_rows(tbl: Any) -> list[str]:
    rows: list[str] = []
    for tr in tbl.iter(f"{_W}tr"):
        cells = []
        for tc in tr.iterchildren(f"{_W}tc"):
            cells.append(" ".join(t for t in (_paragraph_text(p) for p in tc.iterchildren(f"{_W}p")) if t))
        row = "\t".join(c for c in cells if c)
        if row.strip():
            rows.append(row)
    return rows


def _notes(parts: dict[str, bytes], name: str, kind: str) -> list[str]:
    from defusedxml.ElementTree import fromstring

    xml = parts.get(name)
    if not xml:
        return []
    root = fromstring(xml, forbid_dtd=True)
    notes = []
    for note in root.iter(f"{_W}{kind}"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = "".join(_paragraph_text(p) for p in note.iter(f"{_W}p")).strip()
        if text:
            notes.append(text)
    return notes


def _core_info(document: Any) -> dict[str, str]:
    cp = document.core_properties
    info = {"Title": cp.title, "Author": cp.author, "Keywords": cp.keywords, "Subject": cp.subject}
    return {k: re.sub(r"\s+", " ", v).strip() for k, v in info.items() if isinstance(v, str) and v.strip()}
