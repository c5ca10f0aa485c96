"""`growthlog deploy` to a local bare repository: only the encrypted output, one neutral commit."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import keys
from generator.audit import audit_files, site_needles
from generator.cli import main
from generator.deploy import deploy
from generator.errors import GrowthlogError
from generator.pipeline import load_log
from generator.private import shell_parts
from generator.site_audit import read_site

from conftest import REPO, entry, make_log

PASSWORD = "cobalt hazel dune tripod plaza"


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(path))
    return path


def checkout(remote: Path, branch: str, into: Path) -> Path:
    git("clone", "-q", "--branch", branch, str(remote), str(into))
    return into


def test_deploy_of_the_sample_log_is_encrypted_and_passes_audit(
        tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "log"
    shutil.copytree(REPO / "content", root / "content")
    (root / "growthlog.toml").write_text('cname = "journal.example.org"\n')
    keys.init_keyfile(root, PASSWORD)
    monkeypatch.setenv("GROWTHLOG_PASSWORD", PASSWORD)
    result = CliRunner().invoke(main, ["deploy", str(root), "--remote", str(remote)])
    assert result.exit_code == 0, result.output
    assert "encrypted files to gh-pages" in result.output
    site = checkout(remote, "gh-pages", tmp_path / "site")
    files = git("ls-tree", "-r", "--name-only", "HEAD", cwd=site).split()
    assert not [f for f in files if f.endswith(".md") or f.startswith("content/")
                or "site-key" in f or f == ".growthlog-manifest.json"]
    assert ".nojekyll" in files and "robots.txt" in files
    assert (site / "CNAME").read_text() == "journal.example.org\n"
    log = load_log(root, drafts=True)
    published = {k: v for k, v in read_site(site).items() if k != "CNAME"}
    assert audit_files(published, site_needles(log.site, log.config), shell_parts()) == []
    assert git("rev-list", "--count", "HEAD", cwd=site).strip() == "1"
    author = git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", cwd=site).strip()
    assert author == ("growthlog <growthlog@users.noreply.github.com>|"
                      "growthlog <growthlog@users.noreply.github.com>|Publish site")


def test_redeploy_replaces_history_with_one_orphan_commit(tmp_path: Path, remote: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    keys.init_keyfile(root, PASSWORD)
    first = deploy(root, remote=str(remote), password=PASSWORD)
    again = deploy(root, remote=str(remote), password=PASSWORD)
    assert again.commit == first.commit  # unchanged content, same commit: nothing to push
    (root / "content" / "b.md").write_text(entry("Analyst at Globex", "2026-04-01"))
    third = deploy(root, remote=str(remote), password=PASSWORD)
    assert third.commit != first.commit
    assert git("rev-list", "--count", "gh-pages", cwd=remote).strip() == "1"


def test_the_deploy_commit_is_dated_the_first_of_the_month_it_is_pushed_in(
        tmp_path: Path, remote: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = make_log(tmp_path / "log", {"content/a.md": entry(date="2019-05-17")})
    keys.init_keyfile(root, PASSWORD)
    deploy(root, remote=str(remote), password=PASSWORD)
    dates = git("log", "-1", "--format=%ad|%cd", "--date=iso-strict", "gh-pages", cwd=remote)
    first = dt.date.today().replace(day=1).isoformat()
    assert dates.strip() == f"{first}T00:00:00+00:00|{first}T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1788000000")  # 29 August 2026: reproducible
    (root / "content" / "b.md").write_text(entry("Analyst at Globex", "2026-04-01"))
    deploy(root, remote=str(remote), password=PASSWORD)
    dates = git("log", "-1", "--format=%ad|%cd", "--date=iso-strict", "gh-pages", cwd=remote)
    assert dates.strip() == "2026-08-01T00:00:00+00:00|2026-08-01T00:00:00+00:00"


def test_public_deploy_needs_both_the_flag_and_the_config(tmp_path: Path, remote: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    with pytest.raises(GrowthlogError, match="private = false"):
        deploy(root, remote=str(remote), public=True)
    (root / "growthlog.toml").write_text("private = false\n")
    report = deploy(root, remote=str(remote), public=True, branch="pages")
    assert not report.private
    files = git("ls-tree", "-r", "--name-only", "pages", cwd=remote).split()
    assert "entries/data-engineer-at-acme/index.html" in files
    assert not [f for f in files if f.endswith(".md")]


def test_deploy_with_a_wrong_passphrase_pushes_nothing(tmp_path: Path, remote: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    keys.init_keyfile(root, PASSWORD)
    with pytest.raises(GrowthlogError, match="does not open"):
        deploy(root, remote=str(remote), password="quiet lantern orbit maple fennel")
    assert git("for-each-ref", cwd=remote).strip() == ""


def test_deploy_without_a_remote_uses_origin_or_explains(tmp_path: Path, remote: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    keys.init_keyfile(root, PASSWORD)
    with pytest.raises(GrowthlogError, match="--remote"):
        deploy(root, password=PASSWORD)
    git("init", "-q", cwd=root)
    git("remote", "add", "origin", str(remote), cwd=root)
    assert deploy(root, password=PASSWORD).remote == str(remote)
    assert "gh-pages" in git("branch", "--list", cwd=remote)


def test_init_offers_the_github_actions_workflow(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "log"), "--github-actions",
                                       "--growthlog-source",
                                       "https://github.com/example/growthlog@" + "ab" * 20])
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / "log" / ".github" / "workflows" / "pages.yml").read_text()
    assert "secrets.GROWTHLOG_PASSWORD" in workflow and "actions/deploy-pages" in workflow
    assert "growthlog build --private" in workflow and "growthlog audit" in workflow
    assert not (tmp_path / "plain" / ".github").exists()
