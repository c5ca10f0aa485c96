"""Every process growthlog starts (git, the editor, the web browser) starts here, with an
environment that holds no passphrase.

A passphrase in $GROWTHLOG_PASSWORD (or $GROWTHLOG_NEW_PASSWORD) is for growthlog alone:
git would hand it on to ssh, credential helpers and hooks, an editor to its plugins, a
browser to everything it starts. tests/test_children.py checks that no other module
imports subprocess or webbrowser, or opens an editor, so a new call cannot forget this.
"""

from __future__ import annotations

import os
import subprocess
import webbrowser
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click

from generator.keys import NEW_PASSWORD_ENV, PASSWORD_ENV

SECRET_VARIABLES = (PASSWORD_ENV, NEW_PASSWORD_ENV)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the passphrase variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env.update(extra or {})
    return env


def run(args: list[str], cwd: Path, extra_env: Mapping[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run a program to completion, capturing its text output (FileNotFoundError if absent)."""
    return subprocess.run(args, cwd=cwd, env=child_env(extra_env), capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)


@contextmanager
def _withheld() -> Iterator[None]:
    """Remove the passphrase variables while a library starts a process with os.environ."""
    saved = {name: os.environ.pop(name) for name in SECRET_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def edit(path: Path) -> None:
    """Open path in $VISUAL or $EDITOR, as click does, and wait for it."""
    with _withheld():
        click.edit(filename=str(path))


def open_browser(url: str) -> None:
    """Open url in the user's web browser (its process never sees the passphrase)."""
    with _withheld():
        webbrowser.open(url)
