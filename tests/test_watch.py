"""[serve] What the watcher lets through, how changes are classified, and editors' saves."""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.serve import serve
from generator.watch import ChangeSet, Kind, classify, classify_path, is_editor_temp

from conftest import entry, make_log

ROOT = Path("/logs/mine")


@pytest.mark.parametrize("name", [
    ".a.md.swp", ".a.md.swx", "a.md~", ".#a.md", "#a.md#", "4913", "a.md___jb_tmp___",
    "a.md___jb_old___", ".goutputstream-X1Y2", "a.md.tmp", "a.md.bak", ".a.md.kate-swp",
    ".DS_Store"])
def test_editor_temp_files_are_ignored(name: str) -> None:
    assert is_editor_temp(name)
    assert classify_path(ROOT / "content" / name, ROOT) is None


@pytest.mark.parametrize(("relative", "kind"), [
    ("content/2026/acme.md", Kind.CONTENT),
    ("content/images/whiteboard.svg", Kind.CONTENT),
    ("content/2026", Kind.CONTENT),
    ("content", Kind.CONTENT),
    ("themes/default/templates/entry.html", Kind.THEME),
    ("themes/default/static/style.css", Kind.THEME),
    ("growthlog.toml", Kind.CONFIG),
    ("output/index.html", None),
    ("README.md", None),
    (".git/index", None),
    ("content/.hidden/a.md", None),
    ("themes/default/templates/__pycache__/x.pyc", None),
])
def test_classify_path(relative: str, kind: Kind | None) -> None:
    assert classify_path(ROOT / relative, ROOT) is kind


def test_packaged_theme_changes_are_theme_changes() -> None:
    shipped = Path("/src/growthlog/themes")
    assert classify_path(shipped / "default/templates/base.html", ROOT, (shipped,)) is Kind.THEME
    assert classify_path(Path("/elsewhere/x.html"), ROOT, (shipped,)) is None


def test_a_batch_takes_the_costliest_kind() -> None:
    changes = classify([ROOT / "content/a.md", ROOT / "content/.a.md.swp",
                        ROOT / "themes/default/templates/base.html"], ROOT)
    assert changes.kind is Kind.THEME
    assert changes.content == {ROOT / "content/a.md"}
    assert changes.describe(ROOT) == "content/a.md and 1 more"
    assert classify([ROOT / "content/a.md", ROOT / "growthlog.toml"], ROOT).kind is Kind.CONFIG
    assert ChangeSet().kind is None


# --- real watcher, real server, real editors' save patterns -------------------------------


class Served:
    """`serve` running in a thread on a free port; its printed lines are collected."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve, args=(root,), kwargs={
            "port": 0, "echo": self.lines.append, "ready": self.ready, "stop": self.stop},
            daemon=True)

    @property
    def url(self) -> str:
        line = next(line for line in self.lines if line.startswith("Serving"))
        return line.split(" at ", 1)[1].split(" ", 1)[0]

    @property
    def rebuilds(self) -> int:
        return sum(line.startswith("[") for line in self.lines) - 1

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[Path], Served]]:
    running: list[Served] = []

    def start(root: Path) -> Served:
        server = Served(root)
        server.thread.start()
        assert server.ready.wait(30), server.lines
        time.sleep(0.3)  # the watcher starts right after `ready`
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop.set()
        server.thread.join(10)
        assert not server.thread.is_alive()
        assert server.lines[-1] == "Stopped."


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    assert check()


def shows(server: Served, path: str, text: str) -> Callable[[], bool]:
    def check() -> bool:
        status, body = server.get(path)
        return status == 200 and text in body
    return check


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return make_log(tmp_path / "log", {
        "content/a.md": entry("Alpha version one", "2026-01-10"),
        "content/2025/b.md": entry("Beta entry", "2025-05-01"),
        "content/2025/c.md": entry("Gamma entry", "2025-06-01"),
    }, 'title = "Watched"\n')


def test_vim_save_with_backup_swap_and_4913(served: Callable[[Path], Served], log: Path) -> None:
    server = served(log)
    target = log / "content/a.md"
    swap = log / "content/.a.md.swp"
    swap.write_bytes(b"vim swap")
    probe = log / "content/4913"
    probe.write_text("")
    probe.unlink()
    os.rename(target, log / "content/a.md~")  # backupcopy=no: the old file becomes the backup
    target.write_text(entry("Alpha version two", "2026-01-10"), encoding="utf-8")
    (log / "content/a.md~").unlink()
    eventually(shows(server, "entries/alpha-version-two/", "Alpha version two"))
    swap.unlink()
    time.sleep(0.3)
    assert server.get("entries/alpha-version-one/")[0] == 404
    assert server.get("media/.a.md.swp")[0] == 404
    assert all("problem" not in line for line in server.lines), server.lines


def test_atomic_save_by_rename(served: Callable[[Path], Served], log: Path) -> None:
    server = served(log)
    for temp_name in ("a.md___jb_tmp___", ".a.md.tmp.1234"):
        text = entry(f"Alpha via {temp_name[-4:]}", "2026-01-10")
        temp = log / "content" / temp_name
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, log / "content/a.md")
        slug = "alpha-via-" + temp_name[-4:].strip("_").lower()
        eventually(shows(server, f"entries/{slug}/", f"Alpha via {temp_name[-4:]}"))
    assert server.get("")[0] == 200


def test_emacs_lock_and_autosave_files(served: Callable[[Path], Served], log: Path) -> None:
    server = served(log)
    lock = log / "content/.#a.md"
    lock.symlink_to("user@host.1234:1")
    (log / "content/#a.md#").write_text("autosave", encoding="utf-8")
    (log / "content/a.md").write_text(entry("Alpha from emacs", "2026-01-10"), encoding="utf-8")
    eventually(shows(server, "entries/alpha-from-emacs/", "Alpha from emacs"))
    lock.unlink()
    (log / "content/#a.md#").unlink()
    time.sleep(0.3)
    assert all("problem" not in line for line in server.lines), server.lines


def test_a_burst_of_saves_is_coalesced_and_the_last_wins(served: Callable[[Path], Served],
                                                          log: Path) -> None:
    server = served(log)
    target = log / "content/a.md"
    for n in range(30):
        target.write_text(entry("Alpha burst", "2026-01-10", body=f"Save number {n}."),
                          encoding="utf-8")
    eventually(shows(server, "entries/alpha-burst/", "Save number 29."))
    time.sleep(0.5)
    assert shows(server, "entries/alpha-burst/", "Save number 29.")()
    assert 1 <= server.rebuilds < 10, server.lines


def test_a_deleted_folder_removes_its_entries(served: Callable[[Path], Served],
                                              log: Path) -> None:
    server = served(log)
    assert shows(server, "entries/beta-entry/", "Beta entry")()
    shutil.rmtree(log / "content/2025")
    eventually(lambda: server.get("entries/beta-entry/")[0] == 404)
    assert server.get("entries/gamma-entry/")[0] == 404
    assert "Beta entry" not in server.get("timeline/")[1]
    (log / "content/2025").mkdir()
    (log / "content/2025/b.md").write_text(entry("Beta is back", "2025-05-01"))
    eventually(shows(server, "entries/beta-is-back/", "Beta is back"))


def test_deleting_all_of_content_keeps_the_server_up(served: Callable[[Path], Served],
                                                     log: Path) -> None:
    """content/ moved away is an error naming it (issue 10 #3), not an empty site: the
    last good pages stay until it is back."""
    server = served(log)
    shutil.rmtree(log / "content")
    eventually(lambda: any("content: cannot be read" in line for line in server.lines))
    assert server.get("entries/alpha-version-one/")[0] == 200
    assert server.get("")[0] == 200
    make_log(log, {"content/a.md": entry("Alpha reborn", "2026-01-10")})
    eventually(shows(server, "entries/alpha-reborn/", "Alpha reborn"))
