"""cli.py: commands, messages and exit codes (0 ok, 1 content/config problems, 2 usage)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from generator.cli import main

from conftest import entry, make_log, read_tree

# One folder per defect (Zola's test_sites_invalid): a tiny log with exactly one problem,
# and expected.txt holding the exact lines `growthlog build` must print to stderr.
FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
GROWTHLOG = Path(sys.executable).parent / "growthlog"


def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)
    return result


def test_every_invalid_fixture_has_an_expected_message() -> None:
    assert len(CASES) >= 15
    for case in CASES:
        *problems, summary = (FIXTURES / case / "expected.txt").read_text().splitlines()
        assert summary == "1 problem to fix; nothing was written."
        # every problem names its file and line
        assert [re.match(r"[\w./-]+:\d+: \S", line) is not None for line in problems] == [True]


@pytest.mark.parametrize("case", CASES)
def test_invalid_log_reports_exactly_the_expected_problems(case: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(FIXTURES / case, root)
    (root / "expected.txt").unlink()
    out = tmp_path / "site"
    good = make_log(tmp_path / "good", {"content/a.md": entry()})
    assert run("build", good, "-o", out).exit_code == 0
    before_out, before_log = read_tree(out), read_tree(root)
    expected = (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    result = run("build", root, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""
    assert read_tree(out) == before_out, "a failed build must leave the old site as it was"
    assert read_tree(root) == before_log, "nothing is written into the log"
    checked = run("check", root)
    assert checked.exit_code == 1
    assert checked.stderr.splitlines() == expected


def test_several_broken_files_are_all_listed_in_one_run(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/fine.md": entry()})
    expected: list[str] = []
    for case in CASES:
        source = FIXTURES / case / "content" / "acme.md"
        if source.is_file() and not (FIXTURES / case / "growthlog.toml").exists():
            shutil.copy(source, root / "content" / f"{case}.md")
            lines = (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines()
            expected += [line.replace("acme.md", f"{case}.md")
                         for line in lines[:-1]]
    assert len(expected) >= 12
    result = run("build", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [*sorted(expected),
                                          f"{len(expected)} problems to fix; nothing was written."]
    assert not (root / "output").exists()


def test_build_succeeds_with_a_summary_and_prints_warnings(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry(tgas="[nerves]"),
        "content/b.md": entry("Analyst at Beta", tags="[sql]")})
    result = run("build", root)
    assert result.exit_code == 0
    assert result.stderr == "content/a.md:4: warning: unknown key 'tgas'; did you mean 'tags'?\n"
    assert result.stdout.startswith("2 entries, 1 tag: ")
    assert "files written" in result.stdout
    assert (root / "output" / "index.html").is_file()


def test_build_default_root_is_the_current_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    monkeypatch.chdir(root)
    assert run("build").exit_code == 0
    assert (root / "output" / "entries" / "data-engineer-at-acme" / "index.html").is_file()


def test_build_output_option_and_drafts_flag(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(),
                                       "content/d.md": entry("Secret draft", draft="true")})
    out = tmp_path / "site"
    assert run("build", root, "-o", out).exit_code == 0
    assert not (out / "entries" / "secret-draft").exists()
    assert b"Secret draft" not in b"".join(read_tree(out).values())
    assert run("build", root, "--output", out, "--drafts").exit_code == 0
    assert (out / "entries" / "secret-draft" / "index.html").is_file()
    assert not (root / "output").exists()


def test_second_build_reports_zero_files_written(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    run("build", root)
    result = run("build", root)
    assert result.exit_code == 0
    assert ": 0 files written, " in result.stdout
    assert " 0 removed " in result.stdout


def test_refused_output_folder_exits_1_with_the_reason(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    result = run("build", root, "-o", root / "content")
    assert result.exit_code == 1
    assert result.stderr == (f"error: refusing to write the site into {root / 'content'}: "
                             "it is inside content/\n")


def test_check_passes_and_writes_nothing(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    before = read_tree(root)
    result = run("check", root)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "No problems found.\n", "")
    assert read_tree(root) == before


def test_check_with_warnings_still_passes(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(feedback="\n  recieved: ok")})
    result = run("check", root)
    assert result.exit_code == 0
    assert result.stderr == ("content/a.md:5: warning: unknown key 'recieved'; "
                             "did you mean 'received'?\n")
    assert result.stdout == "No problems found (1 warning).\n"


def test_check_validates_drafts_too(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/d.md": entry(draft="true", stage="onsite")})
    result = run("check", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith("content/d.md:5: stage: expected one of")


@pytest.mark.parametrize("args", [
    ["build", "--nope"], ["frobnicate"], ["new"], ["init"], ["build", "a", "b"],
    ["new", "T", "--date", "14/03/2026"], ["new", "T", "--stage", "onsite"],
    ["build", "missing-folder"], ["check", "missing-folder"]])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "growthlog.toml").write_text("", encoding="utf-8")  # a log, but a bad call
    result = run(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.stderr or "Error:" in result.stderr


def test_missing_root_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("build", "nowhere").stderr.splitlines()[-1] == "Error: nowhere is not a folder"


def test_new_with_an_unknown_stage_lists_the_configured_ones(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config='stages = ["applied", "onsite"]\n')
    result = run("new", "T", root, "--stage", "final")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for --stage: expected one of applied, onsite; found 'final'")


def test_new_writes_an_entry_that_builds_as_a_draft(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    result = run("new", "Staff Engineer at Zeta", root, "--company", "Zeta", "--role",
                 "Staff Engineer", "--stage", "final", "--date", "2026-05-02")
    assert result.exit_code == 0
    assert result.stdout == "Wrote content/2026-05-02-staff-engineer-at-zeta.md\n"
    text = (root / "content" / "2026-05-02-staff-engineer-at-zeta.md").read_text()
    assert text.startswith("---\n# yaml-language-server: $schema=../growthlog.schema.json\n")
    assert 'company: "Zeta"\nrole: "Staff Engineer"\nstage: final\n' in text
    assert run("check", root).exit_code == 0
    assert run("build", root).exit_code == 0
    assert not (root / "output" / "entries" / "staff-engineer-at-zeta").exists()
    assert run("build", root, "--drafts").exit_code == 0
    page = (root / "output" / "entries" / "staff-engineer-at-zeta" / "index.html").read_text()
    assert "Staff Engineer at Zeta" in page


def test_new_defaults_to_today_and_the_current_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {}, config='title = "Log"\n')
    monkeypatch.chdir(root)
    result = run("new", "Analyst at Beta", env={"SOURCE_DATE_EPOCH": "1773446400"})
    assert result.exit_code == 0
    assert (root / "content" / "2026-03-14-analyst-at-beta.md").is_file()
    assert dt.date(2026, 3, 14).isoformat() in result.stdout


def test_new_never_overwrites(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config='title = "Log"\n')
    assert run("new", "Analyst", root, "--date", "2026-03-14").exit_code == 0
    path = root / "content" / "2026-03-14-analyst.md"
    path.write_text("my own words", encoding="utf-8")
    result = run("new", "Analyst", root, "--date", "2026-03-14", "--company", "Other")
    assert result.exit_code == 1
    assert result.stderr == f"error: {path} already exists; nothing was overwritten\n"
    assert path.read_text(encoding="utf-8") == "my own words"


def test_new_edit_opens_the_editor_on_the_new_file(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config='title = "Log"\n')
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\necho "Edited body." >> "$1"\n')
    editor.chmod(0o755)
    result = run("new", "Analyst", root, "--date", "2026-03-14", "--edit",
                 env={"VISUAL": str(editor), "EDITOR": str(editor)})
    assert result.exit_code == 0
    assert (root / "content" / "2026-03-14-analyst.md").read_text().endswith("Edited body.\n")


def test_new_with_a_broken_config_exits_1(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config="recent = 0\n")
    result = run("new", "T", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "growthlog.toml:1: recent: expected at least 1; found 0",
        "1 problem to fix; nothing was written."]
    assert not (root / "content").exists()


def test_init_makes_a_log_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "mylog"
    result = run("init", target)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "  wrote growthlog.toml", "  wrote .gitignore", "  wrote README.md",
        "  wrote content/2026-01-15-example.md", "  wrote growthlog.schema.json",
        f'New log in {target}. Next: growthlog new "Role at Company" {target}']
    assert run("check", target).stdout == "No problems found.\n"
    built = run("build", target)
    assert built.exit_code == 0, built.output
    assert built.stdout.startswith("1 entry, 2 tags: ")
    assert (target / "output" / "entries").is_dir()


def test_init_refuses_an_existing_log(tmp_path: Path) -> None:
    target = tmp_path / "mylog"
    run("init", target)
    before = read_tree(target)
    result = run("init", target)
    assert result.exit_code == 1
    assert result.stderr == f"error: {target} already holds a log; nothing was changed\n"
    assert read_tree(target) == before


def test_init_and_build_from_another_folder_with_the_installed_command(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["init", "../mylog"], ["build", "../mylog"], ["check", "../mylog"]):
        done = subprocess.run([str(GROWTHLOG), *args], cwd=elsewhere, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert (tmp_path / "mylog" / "output" / "index.html").is_file()
    assert list(elsewhere.iterdir()) == []


def test_schema_prints_valid_json_schema_with_configured_stages(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config='stages = ["applied", "onsite", "offer"]\n')
    result = run("schema", root)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["stage"]["enum"] == ["applied", "onsite", "offer"]
    default = json.loads(run("schema", make_log(tmp_path / "plain", {})).stdout)
    assert default["properties"]["stage"]["enum"] == [
        "applied", "screen", "assessment", "interview", "final", "offer"]


def test_schema_with_a_broken_config_exits_1(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {}, config='stages = "applied"\n')
    result = run("schema", root)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "growthlog.toml:1: stages: expected a list of text; found 'applied'",
        "1 problem to fix; nothing was written."]


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("growthlog, version ")
    help_text = run("--help").stdout
    for command in ("build", "check", "new", "init", "schema"):
        assert command in help_text


def test_output_that_cannot_be_written_exits_1_without_a_traceback(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    (tmp_path / "blocker").write_text("x")
    result = run("build", root, "-o", tmp_path / "blocker" / "site")
    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    # It names the folder that was asked for, never the hidden one a build is put together in.
    assert first == f"error: could not write {tmp_path / 'blocker' / 'site'}: Not a directory"
    assert rest == []


def test_build_reports_config_and_entry_errors_together_as_check_does(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(stage="onsight")},
                    'recent = "five"\n')
    built, checked = run("build", root), run("check", root)
    assert built.exit_code == checked.exit_code == 1
    expected = ["content/a.md:4: stage: expected one of applied, screen, assessment, "
                "interview, final, offer; found 'onsight'",
                "growthlog.toml:1: recent: expected a whole number; found 'five'",
                "2 problems to fix; nothing was written."]
    assert built.output.splitlines() == checked.output.splitlines() == expected


def test_one_company_written_two_ways_counts_once_on_home(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/a.md": entry("One", "2026-01-01", company="Acme Corp"),
        "content/b.md": entry("Two", "2026-02-01", company='"Acme  Corp"'),
        "content/c.md": entry("Three", "2026-03-01", company="acme corp"),
    })
    assert run("build", root).exit_code == 0
    home = (root / "output/index.html").read_text(encoding="utf-8")
    companies = (root / "output/companies/index.html").read_text(encoding="utf-8")
    assert "1 company<" in home
    assert companies.count('href="/companies/acme-corp/"') == 1


def test_commands_outside_a_log_suggest_init_and_write_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "not-a-log"
    empty.mkdir()
    for args in (["new", "Role at Acme", empty], ["build", empty], ["check", empty]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.output.startswith(f"error: {empty.as_posix()} is not a growthlog log")
        assert "growthlog init DIR" in result.output
    assert list(empty.iterdir()) == []


def test_colour_in_a_terminal_and_never_with_no_color_or_a_pipe(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(stage="onsight")})
    coloured = CliRunner().invoke(main, ["build", str(root)], color=True)
    assert "\x1b[31m" in coloured.output  # red, as a terminal shows it
    plain = CliRunner().invoke(main, ["build", str(root)], color=True, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.output and "onsight" in plain.output
    piped = subprocess.run([str(GROWTHLOG), "build", str(root)], capture_output=True, text=True)
    assert piped.returncode == 1 and "\x1b[" not in piped.stderr and "onsight" in piped.stderr


def test_date_options_show_a_readable_placeholder() -> None:
    assert "--due-before YYYY-MM-DD" in run("actions", "--help").output
    assert "--date YYYY-MM-DD" in run("new", "--help").output


def test_a_build_from_the_command_line_reads_its_inputs_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line fingerprints the inputs to learn whether anything changed (before
    it loads the pipeline); the build it then runs takes that fingerprint, rather than
    reading every file of content/ and the theme a second time."""
    import generator.cache

    log = make_log(tmp_path / "log", {"content/2026/a.md": entry(),
                                      "content/2026/b.md": entry("Analyst at B")})
    taken: list[str] = []
    fingerprint = generator.cache.fingerprint

    def counted(*args: object, **kwargs: object) -> str:
        taken.append("fingerprint")
        return fingerprint(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.cache, "fingerprint", counted)
    for change in ("", "Edited.", None):  # a first build, after an edit, nothing changed
        if change:
            (log / "content/2026/a.md").write_text(entry(body=change), encoding="utf-8")
        done = run("build", log)
        assert done.exit_code == 0, done.output
        assert taken == ["fingerprint"]
        taken.clear()
    assert ": 0 files written" in done.output  # the fingerprint the build recorded was right
