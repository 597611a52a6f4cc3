"""Policies as data: one TOML file per jurisdiction and year, validated with pydantic at load.

Why data and not code: review offices change thresholds and dates every year; a new notice becomes a
new file (with an id and a version that every verdict records), never an edit of the engine.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from integrity.errors import PolicyError

Level = Literal["core", "provincial"]
Metric = Literal[
    "total_copy_ratio",
    "copy_ratio_excluding_references",
    "copy_ratio_excluding_self",
    "max_single_source_ratio",
]
LEVEL_RANK = {"provincial": 1, "core": 2}
LEVEL_ZH = {"core": "核心期刊", "provincial": "省级期刊"}
METRIC_ZH = {
    "total_copy_ratio": "总文字复制比",
    "copy_ratio_excluding_references": "去除引用文献复制比",
    "copy_ratio_excluding_self": "去除本人文献复制比",
    "max_single_source_ratio": "单篇最大文字复制比",
}
# A citation a reviewer cannot look up: an internal file name such as "seeds/003" or "003_47b648eb.txt".
FILE_REFERENCE = re.compile(r"seeds/|\b\d{3}_[0-9a-f]{8,}|\.(txt|pdf|docx?|toml)\b", re.IGNORECASE)
DEFAULT_ISSUE_MARKERS = ["增刊", "副刊", "特刊", "专刊", "专辑", "内部期刊", "论文集"]


class Thresholds(BaseModel):
    """Highest copy ratio (0..1) still accepted at each level; None: the policy sets none."""

    model_config = ConfigDict(extra="forbid")
    core: float | None = Field(default=None, ge=0.0, le=1.0)
    provincial: float | None = Field(default=None, ge=0.0, le=1.0)

    def for_level(self, level: str) -> float | None:
        return self.core if level == "core" else self.provincial if level == "provincial" else None


class ProvincialAuthority(BaseModel):
    """A provincial catalogue (省权威期刊目录) whose papers count as core when published before a date."""

    model_config = ConfigDict(extra="forbid")
    list_id: str = Field(min_length=1)
    counts_as_core_before: date


class CnkiRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    required: bool = True
    fallback: str = Field(min_length=1, description="what applies to papers CNKI does not hold (zh-CN)")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    year: int = Field(ge=1990, le=2100)
    default: bool = False
    sources: list[str] = Field(min_length=1)
    copy_ratio_metric: Metric = "total_copy_ratio"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    thresholds_by_title_grade: dict[str, Thresholds] = Field(default_factory=dict)
    core_lists: list[str] = Field(default_factory=lambda: ["pku_core", "cssci", "cscd"], min_length=1)
    core_edition_lag_years: int = Field(default=0, ge=0, le=3)
    downgrade_when_over_core_threshold: bool = True
    excluded_issue_markers: list[str] = Field(default_factory=lambda: list(DEFAULT_ISSUE_MARKERS))
    exclude_electronic: bool = True
    exclude_internal: bool = True
    provincial_authority: ProvincialAuthority | None = None
    material_cutoff: date | None = None
    cnki: CnkiRule | None = None
    one_time_notification: bool = False
    check_applicant_authorship: bool = True
    citations: dict[str, str] = Field(default_factory=dict)

    @field_validator("thresholds_by_title_grade")
    @classmethod
    def _grades(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        unknown = set(value) - {"正高", "副高", "中级", "初级"}
        if unknown:
            raise ValueError(f"未知职称级别 {sorted(unknown)}，可用：正高、副高、中级、初级")
        return value

    @model_validator(mode="after")
    def _default_citation(self) -> Policy:
        if "default" not in self.citations:
            raise ValueError(
                "citations.default 必填（未单独指定的发现引用此条，如 “平工信发〔2022〕138号 附件1 第四条”）"
            )
        for where, text in [*(("sources", x) for x in self.sources), *self.citations.items()]:
            if FILE_REFERENCE.search(text):
                raise ValueError(
                    f"{where}：“{text}” 引用了文件名；"
                    "引用须写文号与条款（如 “平工信发〔2022〕138号 附件1 第四条”）"
                )
        return self

    def threshold(self, level: str, title_grade: str | None = None) -> float | None:
        if title_grade and title_grade in self.thresholds_by_title_grade:
            specific = self.thresholds_by_title_grade[title_grade].for_level(level)
            if specific is not None:
                return specific
        return self.thresholds.for_level(level)

    def cite(self, code: str) -> str:
        return self.citations.get(code, self.citations["default"])

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "jurisdiction": self.jurisdiction,
            "year": self.year,
            "default": self.default,
            "copy_ratio_metric": self.copy_ratio_metric,
            "thresholds": self.thresholds.model_dump(),
            "material_cutoff": self.material_cutoff.isoformat() if self.material_cutoff else None,
        }


def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err["loc"]) or "(文件)"
        parts.append(f"{where}: {err['msg']}")
    return "；".join(parts)


def parse_policy_file(path: Path, check_name: bool = True) -> Policy:
    """Read and validate one policy file; any problem is a PolicyError naming the file and the field."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"无法读取政策文件 {path}：{exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(f"政策文件 {path} 不是有效的 TOML：{exc}", code="policy_invalid") from exc
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"政策文件 {path} 校验失败：{_format_errors(exc)}", code="policy_invalid") from exc
    if check_name and Path(path).stem != policy.id:
        raise PolicyError(f"政策文件名 {Path(path).name} 与其 id “{policy.id}” 不一致", code="policy_invalid")
    return policy


@lru_cache(maxsize=64)
def _cached(path: str, mtime_ns: int, size: int) -> Policy:
    return parse_policy_file(Path(path))


def policy_files(policy_dir: Path) -> list[Path]:
    """Policy files in ``policy_dir``; names starting with ``_`` (the template) are not policies."""
    if not Path(policy_dir).is_dir():
        raise PolicyError(f"政策目录不存在：{policy_dir}")
    return sorted(p for p in Path(policy_dir).glob("*.toml") if not p.name.startswith("_"))


def load_policy_path(path: Path) -> Policy:
    stat = Path(path).stat()
    return _cached(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
