"""A hand-built check result with its paper text: copied, own-paper and references passages."""

from __future__ import annotations

import copy
from typing import Any

TITLE = "基于最小哈希的中文学术论文复制检测方法研究"
TEXT = (
    f"{TITLE}\n张三\n摘要\n本文提出一种基于最小哈希与局部敏感哈希的中文学术论文复制检测方法。\n"
    "1 引言\n学术不端行为近年来受到广泛关注，职称评审中论文抄袭问题尤为突出。"
    "文本复制检测是维护学术诚信的重要手段。\n"
    "2 方法\n我们首先对文本进行分词和归一化处理，"
    "然后计算最小哈希签名并利用局部敏感哈希检索候选文档。<script>alert(1)</script>\n"
    "3 结论\n实验表明该方法在准确率和速度上均优于基线方法。\n"
    "参考文献\n[1] 李四. 文本相似度计算方法综述[J]. 计算机学报, 2019.\n"
)
COPIED = "学术不端行为近年来受到广泛关注，职称评审中论文抄袭问题尤为突出。"
OWN = "然后计算最小哈希签名并利用局部敏感哈希检索候选文档。"
REF = "李四. 文本相似度计算方法综述"


def _passage(fragment: str, source_start: int = 0) -> dict[str, Any]:
    start = TEXT.index(fragment)
    return {
        "start": start,
        "end": start + len(fragment),
        "source_start": source_start,
        "source_end": source_start + len(fragment),
        "text": fragment,
        "source_text": fragment,
    }


_RESULT: dict[str, Any] = {
    "schema_version": 1,
    "engine": {"name": "integrity", "version": "0.1.0"},
    "paper": {
        "file_name": "paper.txt",
        "sha256": "ab" * 32,
        "file_type": "txt",
        "text_layer": "ok",
        "encoding": "utf-8",
        "pages": None,
        "ocr_confidence": None,
        "chars": len(TEXT),
        "engine": "charset-normalizer",
        "references_span": [TEXT.index("参考文献"), len(TEXT)],
        "metadata": {
            "title": {
                "value": TITLE,
                "source": "first_line",
                "confidence": 0.9,
            },
            "authors": {"value": ["张三"], "source": "first_page", "confidence": 0.6},
            "journal": {"value": "计算机学报", "source": "user", "confidence": 1.0},
        },
        "warnings": [],
    },
    "corpus": {"name": "tiny", "documents": 3},
    "similarity": {
        "total_copy_ratio": 0.31,
        "copied_chars": 60,
        "total_chars": 190,
        "copy_ratio_excluding_references": 0.25,
        "copy_ratio_excluding_self": 0.2,
        "max_single_source_ratio": 0.18,
        "sources": [
            {
                "doc_id": "d1",
                "title": "学术诚信研究",
                "ratio": 0.18,
                "copied_chars": 33,
                "authors": ["王五"],
                "year": 2020,
                "is_self": False,
                "passages": [_passage(COPIED, 10)],
            },
            {
                "doc_id": "d2",
                "title": "张三旧作",
                "ratio": 0.12,
                "copied_chars": 26,
                "authors": ["张三"],
                "year": 2018,
                "is_self": True,
                "passages": [_passage(OWN)],
            },
            {
                "doc_id": "d3",
                "title": "相似度综述",
                "ratio": 0.05,
                "copied_chars": 14,
                "authors": [],
                "year": None,
                "is_self": False,
                "passages": [_passage(REF)],
            },
        ],
        "sections": [],
    },
    "verdict": {
        "policy_id": "gansu-pingliang-2022",
        "policy_version": "1",
        "recognised_level": "none",
        "claimed_level": "core",
        "accepted": False,
        "summary": "复制比超过核心期刊上限",
        "findings": [
            {
                "code": "copy_ratio_over_core",
                "severity": "reject",
                "message": "总文字复制比 31.0% 超过核心期刊 15% 上限",
                "citation": "平工信发〔2022〕138号 附件1 第四条",
                "detail": {},
            },
            {
                "code": "supplement_issue",
                "severity": "warning",
                "message": "疑似增刊论文",
                "citation": "平工信发〔2022〕138号 第三条",
                "detail": {},
            },
        ],
    },
    "journal": {"name": "计算机学报", "issn": "0254-4164", "cn": "11-1826/TP", "level": "core"},
}


def result() -> dict[str, Any]:
    """A fresh deep copy (tests may modify it)."""
    return copy.deepcopy(_RESULT)
