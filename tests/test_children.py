"""[trust] 11: no process growthlog starts sees the passphrase in its environment.

Real programs dump what they were given: a GIT_SSH_COMMAND and a receive hook of a real
git push, an editor for `new --edit`, a browser for `serve --open`.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import keys
from generator.cli import main

from conftest import REPO, entry, make_log

PASSWORD = "cobalt hazel dune tripod plaza"
NEW_PASSWORD = "quiet lantern orbit maple fennel"
SECRETS = {"GROWTHLOG_PASSWORD": PASSWORD, "GROWTHLOG_NEW_PASSWORD": NEW_PASSWORD}


def dumper(path: Path, dump: Path, then: str = "") -> Path:
    """An executable script that writes its environment to `dump`, then runs `then`."""
    path.write_text(f'#!/bin/sh\nenv > "{dump}"\n{then}\n')
    path.chmod(0o755)
    return path


def assert_clean(dump: Path) -> None:
    text = dump.read_text()  # it must exist: the program really ran
    assert "PATH=" in text
    for name, value in SECRETS.items():
        assert name not in text and value not in text


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_deploy_over_ssh_and_the_remote_hook_never_see_the_passphrase(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_env: None) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    keys.init_keyfile(root, PASSWORD)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    dumper(remote / "hooks" / "post-receive", tmp_path / "hook.env")
    # A stand-in for ssh: dumps its environment, then runs the remote command locally.
    ssh = dumper(tmp_path / "ssh", tmp_path / "ssh.env", 'for last; do :; done\nexec sh -c "$last"')
    monkeypatch.setenv("GIT_SSH_COMMAND", str(ssh))
    monkeypatch.setenv("GIT_SSH_VARIANT", "simple")
    result = CliRunner().invoke(main, ["deploy", str(root), "--remote",
                                       f"ssh://localhost{remote}"])
    assert result.exit_code == 0, result.output
    assert "encrypted files to gh-pages" in result.output
    assert_clean(tmp_path / "ssh.env")
    assert_clean(tmp_path / "hook.env")


def test_the_editor_of_new_never_sees_the_passphrase(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     secret_env: None) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    monkeypatch.setenv("VISUAL", str(dumper(tmp_path / "editor", tmp_path / "editor.env")))
    result = CliRunner().invoke(main, ["new", "Analyst at Globex", str(root), "--edit"])
    assert result.exit_code == 0, result.output
    assert_clean(tmp_path / "editor.env")
    assert os.environ["GROWTHLOG_PASSWORD"] == PASSWORD  # growthlog itself still has it


def test_the_browser_of_serve_open_never_sees_the_passphrase(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {"content/a.md": entry()})
    dump = tmp_path / "browser.env"
    browser = dumper(tmp_path / "browser", dump)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(root), "--port", "0", "--open"],
        env={**os.environ, **SECRETS, "BROWSER": str(browser)}, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (dump.exists() and "PATH=" in dump.read_text()) and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert_clean(dump)


SPAWNING_MODULES = {"subprocess", "webbrowser", "pty", "multiprocessing", "asyncio"}
SPAWNING_CALLS = {("os", name) for name in ("system", "popen", "execv", "execve", "execvp",
                                            "execvpe", "execl", "execlp", "spawnv", "spawnve",
                                            "spawnl", "posix_spawn", "posix_spawnp", "startfile",
                                            "fork", "forkpty")} | {("click", "edit"),
                                                                   ("click", "launch")}


# A forked copy of growthlog itself (parallel.py renders pages in one; output.py copies
# the site beside the output folder in one, for a public build only) runs no other
# program: it can hand the passphrase to nobody, and it never execs.
FORKS_ITSELF = {("parallel.py", "os.fork"), ("output.py", "os.fork")}


def test_only_the_children_module_starts_processes() -> None:
    """The class of the bug: a new subprocess call elsewhere would hand on os.environ."""
    offenders = []
    for path in sorted((REPO / "generator").rglob("*.py")):
        if path.name == "children.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            if SPAWNING_MODULES & set(names):
                offenders.append(f"{path.name}:{node.lineno}: imports {names}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and (node.value.id, node.attr) in SPAWNING_CALLS \
                    and (path.name, f"{node.value.id}.{node.attr}") not in FORKS_ITSELF:
                offenders.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert offenders == []
