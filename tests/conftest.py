"""Shared fixtures: small logs on disk, reading a built site, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session", autouse=True)
def _own_user_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled templates are kept in the user's cache folder (compiled.py): the tests, and
    the commands they run, use one of their own, never the real one."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))


def run_in_own_namespace(child: str, *args: str, what: str, mounts: bool = True,
                         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run tests/CHILD ARGS where it may mount file systems of its own: root (as CI runs) in
    a mount namespace, anyone else in a user namespace too, where allowed (`mounts=False`:
    only a user namespace). Skips the test, naming `what`, where none can be had; a child
    exits 3 when the file system could not be mounted."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip(f"no `unshare` here (util-linux) to mount {what} with")
    if not mounts:
        namespace = [unshare, "--user", "--map-root-user"]
    elif os.geteuid() == 0:
        namespace = [unshare, "--mount"]
    else:
        namespace = [unshare, "--user", "--map-root-user", "--mount"]
    tests = Path(__file__).resolve().parent
    done = subprocess.run(
        [*namespace, sys.executable, str(tests / child), *args],
        capture_output=True, text=True, timeout=timeout, cwd=tests,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), str(tests.parent)])})
    if done.returncode == 3 or "unshare failed" in done.stderr:
        pytest.skip(f"cannot mount {what} here: {done.stderr.strip()}")
    return done


def entry(title: str = "Data Engineer at Acme", date: str = "2026-03-14", body: str = "Body.",
          **fields: str) -> str:
    """An entry file's text; extra fields are raw YAML lines (`stage="onsite"`)."""
    extra = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}\n"


def make_log(root: Path, files: dict[str, str | bytes], config: str | None = None) -> Path:
    """Write a log: {relative path: text} plus an optional growthlog.toml."""
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "growthlog.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder (relative POSIX path → bytes), the manifest included."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def log_factory(tmp_path: Path) -> Any:
    def factory(files: dict[str, str | bytes], config: str | None = None) -> Path:
        return make_log(tmp_path / "log", files, config)
    return factory


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A real headless Chromium (Debian's), driven by Playwright. Skips only outside CI."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sites the page checks run over (tests/pages.py), built once per session."""
    from pages import build_all

    return build_all(tmp_path_factory.mktemp("pages"))
