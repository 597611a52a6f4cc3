"""Jurisdiction policies (data files in ``settings.policy_dir``) and the verdict they give a paper.

``load_policy(None, settings)`` is the default policy (settings.default_policy); ``assess`` returns the
``journal`` and ``verdict`` blocks of the check result with every finding at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrity.errors import PolicyError
from integrity.policy.assess import assess, normalise_person
from integrity.policy.model import Policy, load_policy_path, parse_policy_file, policy_files

if TYPE_CHECKING:
    from integrity.settings import Settings

__all__ = ["Policy", "PolicyError", "assess", "list_policies", "load_policy", "normalise_person"]


def list_policies(settings: Settings) -> list[Policy]:
    """Every valid policy in settings.policy_dir; an invalid file is an error naming it."""
    return [load_policy_path(p) for p in policy_files(settings.policy_dir)]


def load_policy(policy_id: str | None, settings: Settings) -> Policy:
    """The policy with this id (file ``<id>.toml``), or the default one when ``policy_id`` is None."""
    wanted = policy_id or settings.default_policy
    path = settings.policy_dir / f"{wanted}.toml"
    if not path.is_file() or wanted.startswith("_"):
        known = ", ".join(p.stem for p in policy_files(settings.policy_dir)) or "（无）"
        raise PolicyError(f"未找到政策 “{wanted}”；可用政策：{known}", code="policy_not_found")
    return load_policy_path(path)


def validate_file(path: str) -> Policy:
    """Validate a policy file anywhere on disk (``integrity policy validate FILE``)."""
    from pathlib import Path

    return parse_policy_file(Path(path), check_name=not Path(path).name.startswith("_"))
