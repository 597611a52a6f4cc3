"""The batch summary workbook (openpyxl): 汇总, 按申报人, 交叉比对, 清单问题.

Why escape cells: manifest values come from outside; a cell starting with ``=``, ``+``, ``-`` or ``@``
would run as a formula when the review office opens the sheet (CSV/formula injection), so such text is
stored with a leading apostrophe-equivalent (a quote prefix) and never as a formula.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from integrity.batch.runner import STATUS_LABELS, BatchResult, PaperOutcome

_LEVEL = {"core": "核心", "provincial": "省级", "none": "不予认定"}
_SEVERITY = {"reject": "不予认定", "warning": "需核实", "info": "提示"}
_KIND = {"same_file": "相同文件", "mutual_copy": "互相复制", "shared_source": "共同来源"}
_PCT = "0.0%"

_SUMMARY_COLUMNS: list[tuple[str, int]] = [
    ("行号", 6),
    ("申报人", 10),
    ("单位", 18),
    ("论文题目", 30),
    ("期刊", 18),
    ("ISSN", 11),
    ("CN", 12),
    ("年份", 6),
    ("申报级别", 8),
    ("文件名", 20),
    ("状态", 9),
    ("总文字复制比", 11),
    ("去除引用文献复制比", 11),
    ("去除本人文献复制比", 11),
    ("单篇最大文字复制比", 11),
    ("重复字数", 9),
    ("总字数", 9),
    ("主要来源", 30),
    ("认定级别", 9),
    ("判定说明", 30),
    ("问题及依据", 50),
    ("交叉比对", 40),
    ("检测编号", 28),
]


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is neutralised; numbers pass through."""
    if isinstance(value, str):
        value = "".join(ch for ch in value if ch in "\t\n" or ord(ch) >= 32)  # control chars break XLSX
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def write_summary_xlsx(result: BatchResult, path: Path | None = None) -> bytes:
    """Write the workbook to ``path`` (when given) and return its bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "汇总"
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    wrap = Alignment(wrap_text=True, vertical="top")

    def header(sheet: Any, columns: list[tuple[str, int]]) -> None:
        from openpyxl.utils import get_column_letter

        sheet.append([c for c, _ in columns])
        for i, (_, width) in enumerate(columns, 1):
            cell = sheet.cell(row=1, column=i)
            cell.font, cell.fill = header_font, header_fill
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "A2"

    header(ws, _SUMMARY_COLUMNS)
    rows: list[tuple[int, list[Any], str]] = []
    for o in result.outcomes:
        rows.append((o.row.row, _summary_row(o), o.status))
    for e in result.manifest_errors:
        rows.append(
            (e.row, [e.row, *[""] * 9, "清单错误", *[None] * 6, "", "", "", e.message, "", ""], "error")
        )
    red = Font(color="B00000", bold=True)
    for _, values, status in sorted(rows, key=lambda r: r[0]):
        ws.append([safe_cell(v) for v in values])
        r = ws.max_row
        for col in range(12, 16):
            ws.cell(row=r, column=col).number_format = _PCT
        for col in (18, 20, 21, 22):
            ws.cell(row=r, column=col).alignment = wrap
        if status in ("rejected", "error"):
            ws.cell(row=r, column=11).font = red
    ws.auto_filter.ref = ws.dimensions

    per = wb.create_sheet("按申报人")
    header(
        per,
        [("申报人", 10), ("单位", 18), ("论文数", 8), ("通过", 6), ("不予认定", 9), ("需核实", 8),
         ("出错", 6), ("最高总文字复制比", 12), ("交叉比对标记", 12), ("问题摘要", 60)],
    )  # fmt: skip
    for applicant, outs in _by_applicant(result.outcomes).items():
        ratios = [o.total_copy_ratio for o in outs if o.total_copy_ratio is not None]
        problems = [
            f"第 {o.row.row} 行：{f['message']}"
            for o in outs
            for f in o.findings
            if f.get("severity") == "reject"
        ] + [o.error for o in outs if o.error]
        per.append(
            [
                safe_cell(applicant),
                safe_cell(next((o.row.unit for o in outs if o.row.unit), "")),
                len(outs),
                sum(o.status == "accepted" for o in outs),
                sum(o.status == "rejected" for o in outs),
                sum(o.status == "review" for o in outs),
                sum(o.status == "error" for o in outs),
                max(ratios) if ratios else None,
                sum(len(o.cross_flags) for o in outs),
                safe_cell("\n".join(p for p in problems if p)),
            ]
        )
        per.cell(row=per.max_row, column=8).number_format = _PCT
        per.cell(row=per.max_row, column=10).alignment = wrap

    cross = wb.create_sheet("交叉比对")
    header(
        cross,
        [("类型", 10), ("行号 A", 7), ("申报人 A", 10), ("论文 A", 30), ("行号 B", 7), ("申报人 B", 10),
         ("论文 B", 30), ("比例", 8), ("说明", 40), ("重复内容", 60)],
    )  # fmt: skip
    for f in result.cross_flags:
        cross.append(
            [safe_cell(v) for v in (_KIND.get(f.kind, f.kind), f.row_a, f.applicant_a, f.title_a, f.row_b,
                                    f.applicant_b, f.title_b, f.ratio, f.detail, f.text)]
        )  # fmt: skip
        cross.cell(row=cross.max_row, column=8).number_format = _PCT
        cross.cell(row=cross.max_row, column=10).alignment = wrap
    cross.auto_filter.ref = cross.dimensions

    errs = wb.create_sheet("清单问题")
    header(errs, [("行号", 6), ("代码", 18), ("说明", 70)])
    problems_rows: list[tuple[int, str, str]] = [(e.row, e.code, e.message) for e in result.manifest_errors]
    problems_rows += [
        (o.row.row, o.error_code or "", o.error or "") for o in result.outcomes if o.status == "error"
    ]
    for row_no, code, message in sorted(problems_rows):
        errs.append([row_no, safe_cell(code), safe_cell(message)])
    for name in result.unlisted_files:  # no row number: the file is in no row
        errs.append(["", "unlisted_file", safe_cell(f"压缩包中的文件不在清单中，未检测：{name}")])

    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _summary_row(o: PaperOutcome) -> list[Any]:
    r = o.row
    sources = "\n".join(
        f"{s['title']}（{s['ratio']:.1%}{'，本人' if s.get('is_self') else ''}）" for s in o.top_sources[:3]
    )
    findings = "\n".join(
        f"[{_SEVERITY.get(str(f.get('severity')), '')}] {f.get('message')}（依据：{f.get('citation')}）"
        for f in o.findings
    )
    if o.error:
        findings = o.error
    return [
        r.row,
        r.applicant,
        r.unit,
        r.title,
        r.journal,
        r.issn,
        r.cn,
        r.year,
        _LEVEL.get(r.claimed_level or "", r.claimed_level or ""),
        r.file_name,
        STATUS_LABELS.get(o.status, o.status),
        o.total_copy_ratio,
        o.copy_ratio_excluding_references,
        o.copy_ratio_excluding_self,
        o.max_single_source_ratio,
        o.copied_chars,
        o.total_chars,
        sources,
        _LEVEL.get(o.recognised_level or "", o.recognised_level or ""),
        o.verdict_summary or "",
        findings,
        "\n".join(o.cross_flags),
        o.check_id or "",
    ]


def _by_applicant(outcomes: list[PaperOutcome]) -> dict[str, list[PaperOutcome]]:
    groups: dict[str, list[PaperOutcome]] = {}
    for o in outcomes:
        groups.setdefault(o.row.applicant, []).append(o)
    return groups
