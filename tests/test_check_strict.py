"""`growthlog check --strict`: a warning fails the check, for authors who want CI to keep
their log clean."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

from conftest import entry, make_log


def test_strict_turns_warnings_into_a_failure(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(lesons="[Typo]")})
    runner = CliRunner()
    lenient = runner.invoke(main, ["check", str(root)])
    assert lenient.exit_code == 0
    assert "content/a.md:4: warning: unknown key 'lesons'" in lenient.output
    assert "No problems found (1 warning)." in lenient.output
    strict = runner.invoke(main, ["check", "--strict", str(root)])
    assert strict.exit_code == 1
    assert "content/a.md:4: warning: unknown key 'lesons'" in strict.output
    assert "1 warning: --strict makes warnings errors." in strict.output
    assert "No problems found" not in strict.output


def test_strict_passes_a_clean_log(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    result = CliRunner().invoke(main, ["check", "--strict", str(root)])
    assert result.exit_code == 0 and "No problems found." in result.output


def test_strict_fails_on_a_link_to_an_entry_that_does_not_exist(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(body="See [[Beta screen]] and [the onsite](2024/onsite.md)."),
        "content/b.md": entry("Screen at Beta", body="Back to [[Data Engineer at Acme]]."),
    })
    warnings = [
        "content/a.md:5: warning: links to '2024/onsite.md', which is not an entry in "
        "content/; it is shown as plain text",
        "content/a.md:5: warning: links to 'Beta screen', which is not an entry in content/; "
        "it is shown as plain text"]
    runner = CliRunner()
    lenient = runner.invoke(main, ["check", str(root)])
    assert lenient.exit_code == 0
    assert [line for line in lenient.output.splitlines() if "warning:" in line] == warnings
    strict = runner.invoke(main, ["check", "--strict", str(root)])
    assert strict.exit_code == 1
    assert [line for line in strict.output.splitlines() if "warning:" in line] == warnings
    assert "2 warnings: --strict makes warnings errors." in strict.output
    # the link that does resolve is no warning
    assert "Data Engineer at Acme'" not in strict.output
