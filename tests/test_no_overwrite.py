"""Issue 10 #9: no command overwrites or deletes a file it did not create. `actions --ics
content/2024-01-01-acme.md` replaced the entry with calendar data (exit 0). Each command
that writes is run through the command line against files the author owns."""

from __future__ import annotations

import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from generator.cli import main

from conftest import entry, make_log, read_tree

PHRASE = "cobalt hazel dune tripod plaza"
ENTRY = entry("Acme", "2024-01-01", actions="\n  - text: Follow up\n    due: 2024-02-01")


def run(*args: str | Path, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], input=stdin,
                                env={"NO_COLOR": "1", "GROWTHLOG_PASSWORD": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_actions_ics_never_writes_over_an_entry_or_a_file_of_the_authors(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/2024-01-01-acme.md": ENTRY})
    (tmp_path / "into-content").symlink_to(root / "content")
    (tmp_path / "notes.ics").write_text("my own calendar notes\n")
    before = read_tree(tmp_path)
    for target in (root / "content" / "2024-01-01-acme.md", root / "content" / "new.ics",
                   tmp_path / "into-content" / "2024-01-01-acme.md", tmp_path / "notes.ics"):
        result = run("actions", root, "--ics", target)
        assert result.exit_code == 1, (target, result.output)
        assert f"{target}: " in result.stderr and "nothing was" in result.stderr
    assert read_tree(tmp_path) == before
    # Its own calendar it replaces; the author's only when told to.
    assert run("actions", root, "--ics", tmp_path / "mine.ics").exit_code == 0
    assert run("actions", root, "--ics", tmp_path / "mine.ics").exit_code == 0
    assert run("actions", root, "--ics", tmp_path / "notes.ics", "--force").exit_code == 0
    assert (tmp_path / "notes.ics").read_bytes() == (tmp_path / "mine.ics").read_bytes()
    assert (root / "content" / "2024-01-01-acme.md").read_text() == ENTRY


def test_init_that_refuses_leaves_nothing_behind(tmp_path: Path) -> None:
    """It refused a folder with a README but left growthlog.toml, so the retry said
    'already holds a log'."""
    folder = tmp_path / "log"
    folder.mkdir()
    (folder / "README.md").write_text("my notes\n")
    result = run("init", folder)
    assert result.exit_code == 1 and "README.md already exists" in result.stderr
    assert read_tree(folder) == {"README.md": b"my notes\n"}
    (folder / "README.md").unlink()
    assert run("init", folder).exit_code == 0


def test_new_keeps_the_authors_files(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/2026-03-14-analyst.md": "mine\n",
                                       "growthlog.schema.json": '{"my": "schema"}\n'},
                    'title = "Log"\n')
    before = read_tree(root)
    result = run("new", "Analyst", root, "--date", "2026-03-14")
    assert result.exit_code == 1 and "already exists" in result.stderr
    result = run("new", "Other", root, "--date", "2026-03-14")
    assert result.exit_code == 1 and "growthlog.schema.json: already exists" in result.stderr
    assert {k: v for k, v in read_tree(root).items()
            if k != "content/2026-03-14-other.md"} == before
    result = run("new", "", root)
    assert result.exit_code == 1 and "TITLE: expected some text" in result.stderr


def test_key_init_never_replaces_a_keyfile(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry(),
                                       ".growthlog/site-key.json": "the only copy\n",
                                       ".growthlog/site-key.json.tmp": "mine too\n"})
    before = read_tree(root)
    result = run("key", "init", root, "--password-stdin", stdin=f"{PHRASE}\n{PHRASE}\n")
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert read_tree(root) == before


def test_deploy_never_replaces_a_branch_growthlog_did_not_make(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    source = tmp_path / "source"
    source.mkdir()
    git("init", "-q", "-b", "main", cwd=source)
    (source / "notes.md").write_text("years of work\n")
    git("add", ".", cwd=source)
    git("-c", "user.name=Author", "-c", "user.email=a@example.org", "commit", "-q", "-m",
        "My notes", cwd=source)
    git("push", "-q", str(remote), "main", cwd=source)
    tip = git("rev-parse", "main", cwd=remote)
    root = make_log(tmp_path / "log", {"content/a.md": entry()}, "private = false\n")
    result = run("deploy", root, "--remote", remote, "--branch", "main", "--public")
    assert result.exit_code == 1, result.output
    assert "branch main of" in result.stderr and "nothing was pushed" in result.stderr
    assert git("rev-parse", "main", cwd=remote) == tip
    # Its own branch it replaces again and again; the author's only with --force.
    for _ in range(2):
        assert run("deploy", root, "--remote", remote, "--branch", "pages",
                   "--public").exit_code == 0
    assert run("deploy", root, "--remote", remote, "--branch", "main", "--public",
               "--force").exit_code == 0
    assert git("rev-parse", "main", cwd=remote) != tip
