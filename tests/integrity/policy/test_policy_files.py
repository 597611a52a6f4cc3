"""Policy files: validated at load, listed, shown and validated from the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from integrity.cli import app
from integrity.errors import PolicyError
from integrity.policy import list_policies, load_policy, validate_file
from integrity.settings import Settings


def test_shipped_policies_load_and_default_is_gansu() -> None:
    settings = Settings()
    ids = [p.id for p in list_policies(settings)]
    assert ids == ["gansu-pingliang-2022", "qinghai-2022"]
    default = load_policy(None, settings)
    assert default.id == settings.default_policy == "gansu-pingliang-2022"
    assert (default.thresholds.core, default.thresholds.provincial) == (0.15, 0.25)
    assert default.material_cutoff is not None and default.material_cutoff.isoformat() == "2022-09-30"
    assert default.provincial_authority is not None
    assert default.provincial_authority.counts_as_core_before.isoformat() == "2018-07-01"
    assert "增刊" in default.excluded_issue_markers and default.exclude_electronic
    assert default.cite("copy_ratio_over_threshold") == "平工信发〔2022〕138号 附件1 第四条"
    assert default.to_dict()["id"] == default.id


def test_template_validates() -> None:
    policy = validate_file(str(Settings().policy_dir / "_template.toml"))
    assert policy.thresholds.core == 0.15


def test_unknown_policy_names_the_available_ones() -> None:
    with pytest.raises(PolicyError, match="gansu-pingliang-2022") as err:
        load_policy("nowhere-2030", Settings())
    assert err.value.code == "policy_not_found"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("core = 0.15", "core = 1.5", "thresholds.core"),
        ('version = "1.1.0"', 'version = "1.1.0"\nsurprise = 1', "surprise"),
        ('default = "平工信发〔2022〕138号 附件1 第四条"', 'other = "x"', "citations.default"),
        ('copy_ratio_metric = "total_copy_ratio"', 'copy_ratio_metric = "vibes"', "copy_ratio_metric"),
        ("material_cutoff = 2022-09-30", 'material_cutoff = "soon"', "material_cutoff"),
        ("[thresholds]", "[thresholds", "TOML"),
    ],
)
def test_invalid_policy_files_are_clear_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    src = Settings().policy_dir / "gansu-pingliang-2022.toml"
    text = src.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "gansu-pingliang-2022.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        validate_file(str(bad))


def test_file_name_must_match_id(tmp_path: Path) -> None:
    target = tmp_path / "renamed.toml"
    shutil.copy(Settings().policy_dir / "qinghai-2022.toml", target)
    with pytest.raises(PolicyError, match="不一致"):
        validate_file(str(target))


def test_policy_cli() -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["policy", "list"])
    assert listed.exit_code == 0 and "gansu-pingliang-2022" in listed.output and "[默认]" in listed.output
    shown = runner.invoke(app, ["policy", "show", "gansu-pingliang-2022"])
    assert shown.exit_code == 0 and "15%" in shown.output and "25%" in shown.output
    checked = runner.invoke(app, ["policy", "validate"])
    assert checked.exit_code == 0 and checked.output.count("通过") == 3


def test_policy_cli_invalid_file_exits_nonzero(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "x.toml"
    bad.write_text('id = "x"\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "integrity", "policy", "validate", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 5
    assert "校验失败" in proc.stderr and "Traceback" not in proc.stderr
