"""Jurisdiction policies (data files in ``settings.policy_dir``) and the verdict they give a paper.

``load_policy(None, settings)`` is the default policy (settings.default_policy); ``assess`` returns the
``journal`` and ``verdict`` blocks of the check result with every finding at once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from integrity.errors import PolicyError
from integrity.policy.assess import assess, normalise_person
from integrity.policy.model import Policy, load_policy_path, parse_policy_file, policy_files

if TYPE_CHECKING:
    from pathlib import Path

    from integrity.settings import Settings

__all__ = [
    "Policy",
    "PolicyError",
    "assess",
    "list_policies",
    "load_policy",
    "normalise_person",
    "validate_policy_id",
]

# A policy id is a name, never a path: lower-case letters, digits, ``-``, ``_`` and ``.``, no ``..``.
POLICY_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def list_policies(settings: Settings) -> list[Policy]:
    """Every valid policy in settings.policy_dir; an invalid file is an error naming it."""
    return [load_policy_path(p) for p in policy_files(settings.policy_dir)]


def validate_policy_id(policy_id: str) -> str:
    """``policy_id`` if it is a well-formed name; ``PolicyError(invalid_policy_id)`` otherwise.

    Why: ids arrive from API clients; one joined onto a directory unchecked let a key apply a TOML file it
    had uploaded itself (issue 10). The message never echoes the id's path parts or a server path.
    """
    if not isinstance(policy_id, str) or not POLICY_ID_PATTERN.fullmatch(policy_id) or ".." in policy_id:
        raise PolicyError(
            "政策 ID 格式无效：只能由小写字母、数字、“-”“_”“.”组成（不含“..”），以字母或数字开头，"
            "长度 1 到 64 个字符",
            code="invalid_policy_id",
        )
    return policy_id


def known_policies(settings: Settings) -> dict[str, Path]:
    """The shipped/imported policies by id (file stem); the only files ``load_policy`` will read."""
    return {p.stem: p for p in policy_files(settings.policy_dir)}


def load_policy(policy_id: str | None, settings: Settings) -> Policy:
    """The policy with this id, or the default one when ``policy_id`` is None.

    The id is looked up in the known set, never joined onto a path.
    """
    wanted = validate_policy_id(policy_id or settings.default_policy)
    known = known_policies(settings)
    if wanted not in known:
        names = ", ".join(sorted(known)) or "（无）"
        raise PolicyError(f"未找到政策 “{wanted}”；可用政策：{names}", code="policy_not_found")
    return load_policy_path(known[wanted])


def validate_file(path: str) -> Policy:
    """Validate a policy file anywhere on disk (``integrity policy validate FILE``)."""
    from pathlib import Path

    return parse_policy_file(Path(path), check_name=not Path(path).name.startswith("_"))
