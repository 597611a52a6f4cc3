"""No citation anywhere names a file: reviewers look notices up by 文号 (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integrity.errors import PolicyError
from integrity.policy import list_policies
from integrity.policy.model import FILE_REFERENCE, parse_policy_file
from integrity.settings import REPO_ROOT, Settings

SEED_NAME = re.compile(r"seeds/\d{3}|\b\d{3}_[0-9a-f]{16}\b")


def test_every_shipped_policy_cites_documents_not_files() -> None:
    policies = list_policies(Settings())
    assert policies
    for policy in policies:
        for text in [*policy.sources, *policy.citations.values()]:
            assert not FILE_REFERENCE.search(text), (policy.id, text)
            assert "〔" in text and "号" in text, (policy.id, text)  # a 文号


def test_no_code_or_policy_value_names_a_seed_file() -> None:
    """String values in the code and policy files (comments may record provenance, values may not)."""
    offenders = []
    for root in ("integrity", "service", "workers", "corpora/policies"):
        for path in (REPO_ROOT / root).rglob("*"):
            if path.suffix not in (".py", ".toml", ".html", ".js") or not path.is_file():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0] if path.suffix in (".py", ".toml") else line
                if SEED_NAME.search(code):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_a_policy_citing_a_file_is_invalid(tmp_path: Path) -> None:
    src = (Settings().policy_dir / "gansu-pingliang-2022.toml").read_text(encoding="utf-8")
    bad = tmp_path / "gansu-pingliang-2022.toml"
    bad.write_text(
        src.replace('default = "平工信发〔2022〕138号 附件1 第四条"', 'default = "seeds/003 附件1"'), "utf-8"
    )
    with pytest.raises(PolicyError, match="文件名"):
        parse_policy_file(bad)
