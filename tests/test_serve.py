"""[serve] The dev loop: errors never stop it, the command line, and live reload in Chromium."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_watch import Served, eventually, shows
from test_watch import served as serving

from generator.devserver import OVERLAY_ID
from generator.serve import Rebuilder
from generator.watch import classify

from conftest import entry, make_log, read_tree

served = serving  # the same fixture: `serve` in a thread on a free port
GOOD = entry("Alpha at Acme", "2026-01-10", stage="interview", tags="[nerves]")
BAD_YAML = "---\ntitle: [Alpha\ndate: 2026-01-10\n---\nBody.\n"


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return make_log(tmp_path / "log", {"content/a.md": GOOD,
                                       "content/b.md": entry("Beta at Brio", "2025-03-01")},
                    'title = "Serve test"\n')


def rebuild(rebuilder: Rebuilder, *paths: Path) -> Any:
    return rebuilder.rebuild(classify(paths, rebuilder.root.resolve()))


@pytest.mark.parametrize(("text", "message"), [
    (BAD_YAML, "content/a.md:2: front matter: the list opened on line 2 is never closed"),
    (entry("Alpha", "2026-01-10", stage="on-site"), "content/a.md:4: stage: expected one of"),
    ("---\ntitle: ''\ndate: 2026-01-10\n---\n", "content/a.md:2: title"),
])
def test_a_broken_entry_keeps_the_last_good_site(log: Path, tmp_path: Path, text: str,
                                                 message: str) -> None:
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(log, preview)
    assert rebuilder.rebuild().ok
    good = read_tree(preview)
    (log / "content/a.md").write_text(text, encoding="utf-8")
    result = rebuild(rebuilder, log / "content/a.md")
    assert not result.ok and result.changed == ()
    assert any(line.startswith(message) for line in result.problem_lines), result.problem_lines
    assert read_tree(preview) == good
    assert "still serving the last good version" in result.summary("content/a.md")
    (log / "content/a.md").write_text(GOOD, encoding="utf-8")
    result = rebuild(rebuilder, log / "content/a.md")
    assert result.ok and result.problems == ()
    assert read_tree(preview) == good


def test_template_and_config_errors_are_reported_and_recovered(log: Path,
                                                               tmp_path: Path) -> None:
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(log, preview)
    assert rebuilder.rebuild().ok
    good = read_tree(preview)
    template = log / "themes/default/templates/entry.html"
    template.parent.mkdir(parents=True)
    template.write_text('{% extends "default/entry.html" %}\n{% block content %}\n'
                        "{% if %}\n{% endblock %}\n", encoding="utf-8")
    result = rebuild(rebuilder, template)
    assert not result.ok
    assert re.match(r"themes/default/templates/entry\.html:3: template syntax error",
                    result.problem_lines[0]), result.problem_lines
    assert read_tree(preview) == good
    template.write_text('{% extends "default/entry.html" %}\n', encoding="utf-8")
    assert rebuild(rebuilder, template).ok
    config = log / "growthlog.toml"
    config.write_text('title = "Unclosed\n', encoding="utf-8")
    result = rebuild(rebuilder, config)
    assert not result.ok and "growthlog.toml" in result.problem_lines[0]
    config.write_text('title = "Serve test"\ntheme = "nowhere"\n', encoding="utf-8")
    result = rebuild(rebuilder, config)
    assert not result.ok and "theme" in result.problem_lines[0]
    config.write_text('title = "Renamed log"\n', encoding="utf-8")
    result = rebuild(rebuilder, config)
    assert result.ok and b"Renamed log" in (preview / "index.html").read_bytes()


def test_unexpected_errors_are_reported_not_raised(log: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rebuilder = Rebuilder(log, tmp_path / "preview")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("generator.serve.build", explode)
    result = rebuilder.rebuild()
    assert not result.ok and result.problem_lines == ("growthlog: internal error: "
                                                      "RuntimeError('boom')",)


# --- the command line -----------------------------------------------------------------------


def start_cli(log: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "generator", "serve", str(log), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_port_in_use_is_a_clear_message(log: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_cli(log, "--port", str(port))
        out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err and "Traceback" not in err


def test_serve_prints_the_url_and_exits_cleanly_on_ctrl_c(log: Path) -> None:
    process = start_cli(log, "--port", "0")
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+/) \(preview in (\S+);", first)
    assert match, first
    url, preview = match.group(1), Path(match.group(2))
    assert preview.is_dir() and not preview.is_relative_to(log)
    assert "first build: 2 entries" in process.stdout.readline()
    with urllib.request.urlopen(url, timeout=5) as response:
        assert b"Serve test" in response.read()
    (log / "content/a.md").write_text(BAD_YAML, encoding="utf-8")
    line = process.stdout.readline()
    assert "content/a.md: 1 problem" in line, line
    assert "front matter: the list opened on line 2" in process.stdout.readline()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert out.strip().endswith("Stopped.")
    assert "Traceback" not in err
    assert not preview.exists()
    assert not (log / "output").exists()


# --- [trust] 13: a private log's preview never listens beyond loopback ----------------------


def machine_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 addresses (connecting to them stays on it)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:  # no hostname(1): /proc/net/tcp still shows the bound address
        return []
    return [a for a in out if "." in a and not a.startswith("127.")]


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a listening TCP socket on port, read from /proc/net/tcp."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's further stdout lines, read in a thread (a missing line cannot hang)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


@pytest.mark.parametrize("private", ["config", "keyfile"])
def test_a_private_log_is_served_on_loopback_only_whatever_host_says(log: Path,
                                                                      private: str) -> None:
    if private == "config":
        (log / "growthlog.toml").write_text('title = "Serve test"\nprivate = true\n')
    else:
        (log / ".growthlog").mkdir()
        (log / ".growthlog" / "site-key.json").write_text("{}")
    process = start_cli(log, "--host", "0.0.0.0", "--port", "0")
    lines = lines_of(process)
    try:
        match = re.search(r"at http://127\.0\.0\.1:(\d+)/ ", lines.get(timeout=30))
        assert match
        port = int(match.group(1))
        assert "first build" in lines.get(timeout=30)
        notice = lines.get(timeout=30)
        assert "private" in notice and "listens on 127.0.0.1 only" in notice, notice
        assert "not on 0.0.0.0" in notice
        assert listening_addresses(port) == {"127.0.0.1"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"Serve test" in response.read()
        for address in machine_addresses():  # none on a machine without a network
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((address, port), timeout=5).close()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)


def test_a_log_made_private_while_served_widely_refuses_other_machines(log: Path) -> None:
    process = start_cli(log, "--host", "0.0.0.0", "--port", "0")
    lines = lines_of(process)
    try:
        match = re.search(r"at http://127\.0\.0\.1:(\d+)/ ", lines.get(timeout=30))
        assert match
        port = int(match.group(1))
        assert "first build" in lines.get(timeout=30)
        assert "every network interface" in lines.get(timeout=30)
        deadline = time.monotonic() + 30
        line = ""
        while "now private" not in line:  # saved again until the watcher (starting) sees it
            assert "Traceback" not in line and time.monotonic() < deadline
            (log / "growthlog.toml").write_text('title = "Serve test"\nprivate = true\n')
            try:
                line = lines.get(timeout=2)
            except queue.Empty:
                line = ""
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b"Serve test" in response.read()
        for address in machine_addresses():  # straight to this machine's address, no proxy
            connection = http.client.HTTPConnection(address, port, timeout=5)
            connection.request("GET", "/")
            refused = connection.getresponse()
            assert refused.status == 403 and b"Serve test" not in refused.read()
            connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    # Its preview, built while it was public, is not kept in .growthlog-cache/ either.
    assert not (log / ".growthlog-cache/serve.pickle").exists()


# --- live reload in a real browser ----------------------------------------------------------


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    yield tab
    context.close()


def test_an_open_page_updates_after_a_save(served: Callable[[Path], Served], log: Path,
                                           page: Any) -> None:
    server = served(log)
    page.goto(server.url + "entries/alpha-at-acme/")
    assert "Alpha at Acme" in page.content()
    page.evaluate("window.__untouched = true")
    (log / "content/a.md").write_text(GOOD.replace("Body.", "A fresh reflection."),
                                      encoding="utf-8")
    page.wait_for_function("document.body.innerText.includes('A fresh reflection.')",
                           timeout=10_000)
    assert page.evaluate("window.__untouched === undefined"), "the page should have reloaded"


def test_pages_whose_output_did_not_change_do_not_reload(served: Callable[[Path], Served],
                                                         log: Path, page: Any) -> None:
    server = served(log)
    page.goto(server.url + "tags/")
    page.evaluate("window.__untouched = true")
    (log / "content/a.md").write_text(GOOD.replace("Body.", "Only the body changed."),
                                      encoding="utf-8")
    eventually(shows(server, "entries/alpha-at-acme/", "Only the body changed."))
    time.sleep(1.0)
    assert page.evaluate("window.__untouched === true")


def test_a_broken_save_shows_the_overlay_and_the_fix_removes_it(
        served: Callable[[Path], Served], log: Path, page: Any) -> None:
    server = served(log)
    page.goto(server.url)
    (log / "content/a.md").write_text(BAD_YAML, encoding="utf-8")
    overlay = page.locator(f"#{OVERLAY_ID}")
    overlay.wait_for(state="visible", timeout=10_000)
    assert "content/a.md:2: front matter: the list opened on line 2" in overlay.inner_text()
    other = page.context.new_page()
    other.goto(server.url + "timeline/")  # a page opened while broken has it too
    assert "content/a.md:2" in other.locator(f"#{OVERLAY_ID}").inner_text()
    (log / "content/a.md").write_text(GOOD.replace("Body.", "Fixed."), encoding="utf-8")
    overlay.wait_for(state="detached", timeout=10_000)
    other.locator(f"#{OVERLAY_ID}").wait_for(state="detached", timeout=10_000)
    status, body = server.get("entries/alpha-at-acme/")
    assert status == 200 and "Fixed." in body and OVERLAY_ID not in body
    assert server.thread.is_alive()


def test_a_broken_template_shows_the_overlay_with_file_and_line(
        served: Callable[[Path], Served], log: Path, page: Any) -> None:
    server = served(log)
    page.goto(server.url + "entries/alpha-at-acme/")
    template = log / "themes/default/templates/entry.html"
    template.parent.mkdir(parents=True)
    template.write_text('{% extends "default/entry.html" %}\n{% block content %}{% for %}'
                        "{% endblock %}\n", encoding="utf-8")
    overlay = page.locator(f"#{OVERLAY_ID}")
    overlay.wait_for(state="visible", timeout=10_000)
    assert "themes/default/templates/entry.html:2: template syntax error" in overlay.inner_text()
    assert "Alpha at Acme" in page.content()  # the last good page is still there
    template.unlink()
    overlay.wait_for(state="detached", timeout=10_000)
    assert server.get("")[0] == 200


def test_a_log_broken_from_the_start_is_served_once_fixed(served: Callable[[Path], Served],
                                                          log: Path, page: Any) -> None:
    """The broken entry is left out until fixed; the rest of the site is there at once."""
    (log / "content/a.md").write_text(BAD_YAML, encoding="utf-8")
    server = served(log)
    assert "1 problem, content/a.md left out until fixed" in server.lines[1]
    page.goto(server.url)
    assert "Beta at Brio" in page.content() and "Alpha at Acme" not in page.content()
    assert "content/a.md:2" in page.locator(f"#{OVERLAY_ID}").inner_text()
    (log / "content/a.md").write_text(GOOD, encoding="utf-8")
    page.wait_for_function("document.body.innerText.includes('Alpha at Acme')", timeout=10_000)
    assert page.locator(f"#{OVERLAY_ID}").count() == 0


# --- what the author is writing: drafts and warnings in the preview (issue 12, items 1-2) ---


DRAFT = entry("Gamma at Corvid", "2026-02-02", company="Corvid", draft="true",
              body="Still writing this one.")


def test_a_new_draft_is_previewed_and_marked_but_never_built(
        served: Callable[[Path], Served], log: Path, page: Any, tmp_path: Path) -> None:
    server = served(log)
    page.goto(server.url)
    (log / "content/c.md").write_text(DRAFT, encoding="utf-8")
    page.wait_for_function("document.body.innerText.includes('Gamma at Corvid')",
                           timeout=10_000)
    card = page.locator("article.card", has_text="Gamma at Corvid")
    assert card.locator(".draft-mark").inner_text().strip().lower() == "draft"
    assert page.locator("article.card", has_text="Alpha at Acme").locator(
        ".draft-mark").count() == 0
    page.goto(server.url + "entries/gamma-at-corvid/")
    assert page.locator("h1 .draft-mark").is_visible()
    page.goto(server.url + "timeline/")
    assert page.locator(".row", has_text="Gamma at Corvid").locator(".draft-mark").count() == 1
    eventually(lambda: any("(1 draft)" in line for line in server.lines))
    assert any("3 entries (1 draft), " in line for line in server.lines), server.lines
    from generator.build import build

    report = build(log, output=tmp_path / "out")
    assert report.entries == 2
    assert not (tmp_path / "out/entries/gamma-at-corvid").exists()


def test_no_drafts_keeps_the_preview_as_the_build(log: Path, tmp_path: Path) -> None:
    (log / "content/c.md").write_text(DRAFT, encoding="utf-8")
    result = Rebuilder(log, tmp_path / "preview", drafts=False).rebuild()
    assert result.ok and not (tmp_path / "preview/entries/gamma-at-corvid").exists()
    assert "2 entries, " in result.summary("first build")


def test_warnings_show_in_a_banner_that_can_be_dismissed(
        served: Callable[[Path], Served], log: Path, page: Any) -> None:
    from generator.devserver import BANNER_ID

    server = served(log)
    page.goto(server.url + "entries/alpha-at-acme/")
    assert page.locator(f"#{BANNER_ID}").count() == 0
    typo = GOOD.replace("---\nBody.", "lesons: [Breathe]\n---\nBody.")
    (log / "content/a.md").write_text(typo, encoding="utf-8")
    banner = page.locator(f"#{BANNER_ID}")
    banner.wait_for(state="visible", timeout=10_000)
    assert ("content/a.md:6: warning: unknown key 'lesons'; did you mean 'lessons'?"
            in banner.inner_text())
    assert page.locator(f"#{OVERLAY_ID}").count() == 0  # the page itself is built
    page.goto(server.url + "timeline/")  # every page shows it, as served
    assert "lesons" in page.locator(f"#{BANNER_ID}").inner_text()
    page.get_by_role("button", name="Dismiss the warnings").click()
    assert page.locator(f"#{BANNER_ID}").count() == 0
    page.goto(server.url)  # dismissed: the same warnings stay hidden on other pages
    assert page.locator(f"#{BANNER_ID}").count() == 0
    (log / "content/a.md").write_text(GOOD, encoding="utf-8")
    eventually(lambda: BANNER_ID not in server.get("")[1])
