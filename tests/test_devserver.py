"""[serve] The preview server: files, injection, overlay, events, and pages under rebuild load."""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from generator.devserver import (
    EVENTS,
    OVERLAY_ID,
    DevServer,
    LiveSite,
    PortInUse,
    inject,
    overlay_html,
    start_server,
    stop_server,
)
from generator.serve import Rebuilder
from generator.watch import classify

from conftest import entry, make_log

PAGE = b"<!doctype html><html><body><h1>Hi</h1></body></html>\n"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[DevServer]:
    folder = tmp_path / "preview"
    for name, data in {"index.html": PAGE, "entries/a/index.html": PAGE.replace(b"Hi", b"A"),
                       "404.html": PAGE.replace(b"Hi", b"Lost"), "static/style.css": b"p{}",
                       ".growthlog-manifest.json": b"{}", "feed.xml": b"<feed/>"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    server = start_server(LiveSite(folder), port=0)
    yield server
    stop_server(server)


def get(server: DevServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_serves_pages_with_the_reload_script_injected(site: DevServer) -> None:
    status, headers, body = get(site, "/entries/a/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert body.startswith(b"<!doctype html><html><body><h1>A</h1><script src=")
    assert b'data-paths="[&quot;entries/a/index.html&quot;]"' in body
    assert body.endswith(b"</script></body></html>\n")
    assert int(headers["Content-Length"]) == len(body)
    on_disk = (site.live.directory / "entries/a/index.html").read_bytes()
    assert b"script" not in on_disk, "injection must never reach the disk"


def test_other_files_are_served_as_they_are(site: DevServer) -> None:
    status, headers, body = get(site, "/static/style.css")
    assert (status, body) == (200, b"p{}")
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert get(site, "/feed.xml")[2] == b"<feed/>"
    status, headers, body = get(site, "/__growthlog__/livereload.js")
    assert status == 200 and b"EventSource" in body
    assert get(site, "/", "HEAD")[2] == b""


def test_folders_redirect_to_their_slash(site: DevServer) -> None:
    status, headers, _ = get(site, "/entries/a?x=1")
    assert status == 301 and headers["Location"] == "/entries/a/?x=1"


@pytest.mark.parametrize("path", ["/nope/", "/.growthlog-manifest.json", "/../secret",
                                  "/%2e%2e/secret", "/entries/..%2f..%2fsecret", "/static/"])
def test_missing_hidden_and_outside_paths_get_the_404_page(site: DevServer, path: str) -> None:
    (site.live.directory.parent / "secret").write_text("no")
    status, _, body = get(site, path)
    assert status == 404
    assert b"<h1>Lost</h1>" in body and b"livereload.js" in body


def test_without_a_404_page_a_placeholder_is_served(site: DevServer) -> None:
    (site.live.directory / "404.html").unlink()
    (site.live.directory / "index.html").unlink()
    status, _, body = get(site, "/")
    assert status == 404 and b"Nothing built yet" in body
    assert b'data-paths="[&quot;404.html&quot;, &quot;index.html&quot;]"' in body


def test_overlay_is_escaped_and_shown_on_every_page_until_cleared(site: DevServer) -> None:
    problem = "content/a.md:3: stage: expected one of x; found '<script>alert(1)</script>'"
    site.live.publish([], [problem])
    for path in ("/", "/entries/a/", "/nope"):
        body = get(site, path)[2].decode()
        assert f'id="{OVERLAY_ID}"' in body
        assert "content/a.md:3: stage: expected one of x; found &#x27;&lt;script&gt;" in body
        assert "<script>alert" not in body
    site.live.publish([], [])
    assert OVERLAY_ID.encode() not in get(site, "/")[2]
    assert overlay_html([]) == ""


def test_inject_without_a_body_tag_appends() -> None:
    live = LiveSite(Path("."))
    assert inject(b"<p>bare", live, ["x.html"]).startswith(b"<p>bare<script")


def read_event(server: DevServer, query: str) -> dict[str, object]:
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.request("GET", f"{EVENTS}?{query}")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream"
    while True:
        line = response.fp.readline().decode()
        if line.startswith("data: "):
            connection.close()
            return dict(json.loads(line[6:]))


def test_events_carry_what_changed_since_the_page_was_served(site: DevServer) -> None:
    live = site.live
    live.publish(["index.html"])
    since = live.epoch
    live.publish(["entries/a/index.html", "static/style.css"])
    live.publish(["index.html"], ["content/b.md:2: title: expected text"])
    event = read_event(site, f"since={since}&server={live.server_id}")
    assert event["epoch"] == since + 2
    assert event["changed"] == ["entries/a/index.html", "index.html", "static/style.css"]
    assert event["problems"] == ["content/b.md:2: title: expected text"]
    assert OVERLAY_ID in str(event["overlay"])


def test_a_waiting_client_is_woken_by_the_next_rebuild(site: DevServer) -> None:
    live = site.live
    since = live.epoch
    threading.Timer(0.3, live.publish, args=(["index.html"],)).start()
    started = time.monotonic()
    event = read_event(site, f"since={since}&server={live.server_id}")
    assert event["changed"] == ["index.html"] and time.monotonic() - started < 3


def test_a_page_from_an_earlier_server_is_told_to_reload(site: DevServer) -> None:
    event = read_event(site, "since=5&server=0ld5e7ve")
    assert event["changed"] is None


def test_port_in_use_names_the_port_and_suggests_one_that_is_free(site: DevServer) -> None:
    port = site.server_address[1]
    with contextlib.ExitStack() as taken:
        for neighbour in (port + 1, port + 2):  # held by other programs
            holder = taken.enter_context(socket.socket())
            with contextlib.suppress(OSError):  # already in use: all the better
                holder.bind(("127.0.0.1", neighbour))
                holder.listen()
        with pytest.raises(PortInUse) as caught:
            start_server(LiveSite(site.live.directory), port=port)
        message = str(caught.value)
        prefix = (f"port {port} on 127.0.0.1 is already in use; stop the program using it or "
                  "choose another port with --port, e.g. --port ")
        assert message.startswith(prefix)
        suggested = int(message.removeprefix(prefix))
        assert suggested > port + 2
        server = start_server(LiveSite(site.live.directory), port=suggested)
        stop_server(server)


def test_stopping_releases_waiting_clients(tmp_path: Path) -> None:
    server = start_server(LiveSite(tmp_path), port=0)
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.request("GET", f"{EVENTS}?since=0&server={server.live.server_id}")
    response = connection.getresponse()
    started = time.monotonic()
    stop_server(server)
    assert response.read() == b""  # the stream ends rather than hanging
    assert time.monotonic() - started < 3


def test_during_the_first_build_its_first_pages_are_answered_and_the_rest_waits(
        tmp_path: Path) -> None:
    """serve answers its home page as soon as it is written, while the rest of its first
    build goes on; a page not written yet is answered once it is, never with a 404."""
    folder = tmp_path / "preview"
    folder.mkdir()
    server = start_server(LiveSite(folder), port=0, answer=False)
    try:
        server.live.begin()
        (folder / "index.html").write_bytes(PAGE)
        server.answer()
        server.live.publish_early()
        status, _, body = get(server, "/")
        assert status == 200 and b"<h1>Hi</h1>" in body
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(get, server, "/entries/a/")
            time.sleep(0.3)
            assert not later.done()  # waiting for the rest of the build, not answered 404
            (folder / "entries/a").mkdir(parents=True)
            (folder / "entries/a/index.html").write_bytes(PAGE.replace(b"Hi", b"A"))
            server.live.publish(["entries/a/index.html"])
            status, _, body = later.result()
        assert status == 200 and b"<h1>A</h1>" in body
    finally:
        stop_server(server)


def test_a_server_stopped_before_it_answered_stops(tmp_path: Path) -> None:
    """Ctrl-C during serve's first build, before it answers: the server closes."""
    server = start_server(LiveSite(tmp_path), port=0, answer=False)
    stop_server(server)
    with pytest.raises(OSError):
        socket.create_connection(server.server_address[:2], timeout=5)


def test_concurrent_requests_during_rebuilds_never_see_partial_or_missing_pages(
        tmp_path: Path) -> None:
    """Many parallel requests while the site rebuilds again and again: only whole pages."""
    entries = {f"content/e{i:02d}.md": entry(f"Entry {i:02d}", f"2025-{1 + i % 12:02d}-10",
                                             body="Words. " * 400, tags=f"[t{i % 4}]")
               for i in range(24)}
    root = make_log(tmp_path / "log", entries, 'title = "Load"\n')
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(root, preview)
    assert rebuilder.rebuild().ok
    server = start_server(LiveSite(preview), port=0)
    pages = ["", "timeline/", "tags/", "tags/t1/", "lessons/", "actions/",
             *(f"entries/entry-{i:02d}/" for i in range(24))]
    stop = threading.Event()
    failures: list[str] = []
    rebuilds = 0

    def rebuild_forever() -> None:
        nonlocal rebuilds
        rng = random.Random(3)
        while not stop.is_set():
            i = rng.randrange(24)
            path = root / f"content/e{i:02d}.md"
            words = "Words. " * rng.randint(100, 800)
            path.write_text(entry(f"Entry {i:02d}", f"2025-{1 + i % 12:02d}-10", body=words,
                                  tags=f"[t{i % 4}]"), encoding="utf-8")
            result = rebuilder.rebuild(classify([path], root.resolve()))
            if not result.ok:
                failures.append(f"rebuild failed: {result.problem_lines}")
            rebuilds += 1

    def hammer(worker: int) -> int:
        count = 0
        rng = random.Random(worker)
        while not stop.is_set():
            page = rng.choice(pages)
            try:
                with urllib.request.urlopen(f"{server.url}{page}", timeout=10) as response:
                    body = response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
            if status != 200:
                failures.append(f"{page}: HTTP {status}")
            elif not body.rstrip().endswith(b"</html>") or b"livereload.js" not in body:
                failures.append(f"{page}: partial page of {len(body)} bytes")
            count += 1
        return count

    try:
        with ThreadPoolExecutor(9) as pool:
            writer = pool.submit(rebuild_forever)
            clients = [pool.submit(hammer, n) for n in range(8)]
            time.sleep(4)
            stop.set()
            writer.result()
            requests = sum(c.result() for c in clients)
    finally:
        stop_server(server)
    assert not failures, failures[:5]
    assert rebuilds >= 5 and requests >= 200, (rebuilds, requests)


# --- [trust] 14: the Host header must name this server (DNS rebinding) ------------------------


def get_as(server: DevServer, host: str | None, path: str = "/",
           method: str = "GET") -> tuple[int, bytes]:
    """A request whose Host header is `host` (None: no Host header at all)."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read() if path != EVENTS else response.read(200)
    connection.close()
    return response.status, body


@pytest.mark.parametrize("path", ["/", "/entries/a/", "/static/style.css", "/feed.xml",
                                  "/missing", "/__growthlog__/livereload.js",
                                  f"{EVENTS}?since=0&server=x"])
@pytest.mark.parametrize("host", ["attacker.example:{port}", "attacker.example",
                                  "127.0.0.1.attacker.example:{port}", "localhost:{other}",
                                  "127.0.0.1:{other}", "localhost.example:{port}", "", None])
def test_a_request_for_another_host_gets_no_byte_of_the_site(site: DevServer, path: str,
                                                             host: str | None) -> None:
    port = site.server_address[1]
    header = None if host is None else host.format(port=port, other=port + 1)
    status, body = get_as(site, header, path)
    assert status in (403, 421)
    assert b"Hi" not in body and b"Lost" not in body and b"p{}" not in body
    assert b"<script" not in body and b"data:" not in body
    head_status, _ = get_as(site, header, path, method="HEAD")
    assert head_status in (403, 421)


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST.:{port}",
                                  "[::1]:{port}"])
def test_the_bound_address_and_localhost_are_answered(site: DevServer, host: str) -> None:
    status, body = get_as(site, host.format(port=site.server_address[1]), "/entries/a/")
    assert status == 200 and b"<h1>A</h1>" in body


def test_bound_to_every_interface_ip_addresses_are_answered_but_no_other_name(
        tmp_path: Path) -> None:
    (tmp_path / "index.html").write_bytes(PAGE)
    server = start_server(LiveSite(tmp_path), host="0.0.0.0", port=0)
    try:
        port = server.server_address[1]
        assert get_as(server, f"127.0.0.1:{port}")[0] == 200
        assert get_as(server, f"192.0.2.7:{port}")[0] == 200  # a LAN address of the machine
        assert get_as(server, f"attacker.example:{port}")[0] in (403, 421)
    finally:
        stop_server(server)
