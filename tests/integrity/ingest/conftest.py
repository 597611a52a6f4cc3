"""Fixtures: one CJK TrueType font for all generated PDFs, and the sample paper's parts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integrity.ingest import docs

TITLE = "城市轨道交通客流预测模型研究"
AUTHORS = "张伟1，李娜2，王强1"
AFFILIATION = "（1. 北京交通大学 交通运输学院，北京 100044；2. 清华大学 土木工程系，北京 100084）"
ABSTRACT = (
    "摘要：针对城市轨道交通客流波动大的问题，提出一种结合时空特征的预测模型，实验表明预测误差明显降低。"
)
KEYWORDS = "关键词：客流预测；深度学习；城市轨道交通"
IDS = "文章编号：1671-1637(2021)03-0045-08　DOI：10.19818/j.cnki.1671-1637.2021.03.005"
HEADER = "交通运输工程学报　ISSN 1671-1637　CN 61-1369/U"
PARAGRAPHS = [
    "城市轨道交通已经成为大城市公共交通的骨干，准确的客流预测对于运营组织和应急管理具有重要意义。"
    "传统的时间序列方法难以刻画站点之间的空间关联，在节假日和大型活动期间误差较大。",
    "本文构建了一种融合图卷积网络与门控循环单元的预测模型，利用线网拓扑描述站点之间的空间依赖，"
    "并引入天气和日历特征作为外部变量，从而提高模型在异常日期的稳定性。",
    "以某市地铁自动售检票数据为例进行验证，结果表明所提模型的平均绝对误差比基准模型降低了百分之十八，"
    "在早晚高峰时段的表现尤其突出，可以为车站客流组织提供参考。",
    "进一步的敏感性分析显示，时间窗口长度和图结构的构造方式对预测精度影响明显，"
    "采用多尺度时间窗口能够兼顾短期波动和长期趋势。",
]
LEFT = [
    "左栏第一段：高速铁路网络的快速扩张改变了区域之间的出行结构，旅客对换乘效率提出了更高的要求。",
    "左栏第二段：通过分析枢纽站的换乘客流，可以识别出服务能力不足的环节，并据此优化列车开行方案。",
    "左栏第三段：仿真结果显示，调整后的方案使平均换乘等待时间缩短了约六分钟。",
]
RIGHT = [
    "右栏第一段：货运通道的能力利用率是评价线路运营效率的重要指标，需要结合季节波动进行综合判断。",
    "右栏第二段：本文提出的评价方法兼顾了能力利用和服务质量，在三条干线上的应用效果良好。",
    "右栏第三段：今后的研究将考虑多式联运条件下的协同优化问题。",
]
REFERENCES = [
    "参考文献",
    "[1] 王磊，陈静. 城市轨道交通客流特征分析[J]. 交通运输工程学报，2019，19(2)：1-10.",
    "[2] 刘洋. 基于深度学习的短时客流预测[J]. 铁道学报，2020，42(5)：20-28.",
]
SCAN_LINES = [
    "城市轨道交通客流预测模型研究",
    "准确的客流预测对于运营组织具有重要意义。",
    "本文构建了一种融合图卷积网络的预测模型。",
    "实验表明预测误差明显降低。",
]
ALL_TEXT = "".join(
    [
        TITLE,
        AUTHORS,
        AFFILIATION,
        ABSTRACT,
        KEYWORDS,
        IDS,
        HEADER,
        "第期年",
        *PARAGRAPHS,
        *LEFT,
        *RIGHT,
        *REFERENCES,
    ]
)


@pytest.fixture(scope="session")
def cjk_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(docs.NOTO.is_file(), f"CJK font {docs.NOTO} (fonts-noto-cjk)")
    return docs.cjk_ttf(tmp_path_factory.mktemp("font") / "cjk-subset.ttf", ALL_TEXT)


@pytest.fixture(scope="session")
def paper_pdf(tmp_path_factory: pytest.TempPathFactory, cjk_font: Path) -> Path:
    """Two pages, one column: running header with journal/ISSN/CN, page numbers, front matter, references."""
    out = tmp_path_factory.mktemp("pdf") / "paper.pdf"
    front = [TITLE, AUTHORS, AFFILIATION, ABSTRACT, KEYWORDS, IDS]
    return docs.make_pdf(
        out, cjk_font, [PARAGRAPHS[:2], PARAGRAPHS[2:] + REFERENCES], header=HEADER, front=front, title=TITLE
    )


@pytest.fixture(scope="session")
def two_column_pdf(tmp_path_factory: pytest.TempPathFactory, cjk_font: Path) -> Path:
    out = tmp_path_factory.mktemp("pdf2") / "two-column.pdf"
    return docs.make_pdf(
        out, cjk_font, [(LEFT, RIGHT), (LEFT[:1], RIGHT[:1])], header=HEADER, two_columns=True
    )


@pytest.fixture(scope="session")
def tesseract() -> str:
    path = shutil.which("tesseract")
    require(path is not None, "tesseract-ocr (make setup)")
    assert path is not None
    return path
