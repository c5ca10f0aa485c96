"""The preview HTTP server of `growthlog serve`: stdlib only, bound to 127.0.0.1 by default.

It serves the preview folder, injects the live-reload script (and, while the last
rebuild failed, an overlay listing the problems; after a good rebuild with warnings, a
quieter banner the author can dismiss) into every HTML response, and pushes
one server-sent event per rebuild on /__growthlog__/events. Nothing injected is ever
written to disk. Builds replace files atomically (os.replace), so a request sees either
the old or the new version of a page, never half of one.
"""

from __future__ import annotations

import errno
import hashlib
import html
import ipaddress
import json
import logging
import mimetypes
import posixpath
import secrets
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from generator.errors import GrowthlogError
from generator.value import Value, frozen

log = logging.getLogger(__name__)

PREFIX = "/__growthlog__/"
EVENTS = PREFIX + "events"
SCRIPT = PREFIX + "livereload.js"
OVERLAY_ID = "growthlog-overlay"
BANNER_ID = "growthlog-warnings"
KEEPALIVE_SECONDS = 10.0
BUILD_WAIT_SECONDS = 30.0
"""How long a page request waits for a rebuild in progress before it takes the last site."""
_HISTORY = 256
_OVERLAY_STYLE = (
    "position:fixed;inset:0 0 auto 0;z-index:2147483647;max-height:70vh;overflow:auto;"
    "margin:0;padding:1rem 1.25rem;background:#3b0d0c;color:#fde8e6;"
    "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "box-shadow:0 4px 24px rgba(0,0,0,.4);text-align:left")
_BANNER_STYLE = (
    "position:fixed;right:1rem;bottom:1rem;z-index:2147483646;max-width:min(40rem,"
    "calc(100vw - 2rem));max-height:40vh;overflow:auto;box-sizing:border-box;margin:0;"
    "padding:.75rem 2.75rem .75rem 1rem;background:#fff7e0;color:#3d2f00;"
    "border:1px solid #d9b64c;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.18);"
    "font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left")
_DISMISS_STYLE = ("position:absolute;top:.35rem;right:.4rem;border:0;background:none;"
                  "color:inherit;font:20px/1 system-ui,sans-serif;cursor:pointer;"
                  "padding:.25rem .45rem")
_PLACEHOLDER = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                "<title>growthlog serve</title></head><body><main><h1>{title}</h1>"
                "<p>{text}</p></main></body></html>")


class PortInUse(GrowthlogError):
    """Raised by `start_server` when the port is taken by another program."""


@frozen
class SiteEvent(Value):
    """What a client learns after a rebuild: files changed since its epoch, current problems."""

    epoch: int
    changed: tuple[str, ...] | None
    """Output paths changed since the client's epoch; None when unknown (reload)."""
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"epoch": self.epoch, "changed": self.changed,
                           "problems": list(self.problems),
                           "overlay": overlay_html(self.problems),
                           "warnings": list(self.warnings),
                           "banner": banner_html(self.warnings)})


class LiveSite:
    """Shared state: the dev loop publishes rebuilds, request threads read and wait."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.server_id = secrets.token_hex(4)
        self._cond = threading.Condition()
        self._epoch = 0
        self._problems: tuple[str, ...] = ()
        self._warnings: tuple[str, ...] = ()
        self._history: deque[tuple[int, frozenset[str]]] = deque(maxlen=_HISTORY)
        self._closed = False
        self._building = False
        self._early = False
        """The first build has put its first pages in place: those are answered at once."""
        self.private = False
        """A private log's preview: requests from other machines are refused."""

    @property
    def epoch(self) -> int:
        with self._cond:
            return self._epoch

    @property
    def problems(self) -> tuple[str, ...]:
        with self._cond:
            return self._problems

    @property
    def warnings(self) -> tuple[str, ...]:
        with self._cond:
            return self._warnings

    @property
    def closed(self) -> bool:
        return self._closed

    def snapshot(self) -> tuple[int, tuple[str, ...]]:
        """Epoch and problems, read together *before* a page is read from disk: a rebuild
        finishing in between then shows up as a newer epoch and the page reloads."""
        with self._cond:
            return self._epoch, self._problems

    def begin(self) -> None:
        """A rebuild starts: page requests wait for it (`settle`) until `publish`.

        So a save shows in the first answer after its rebuild, and the rebuild does not
        share the interpreter with every browsing client while it runs (issue 10, item 5:
        8 clients browsing made a save take up to 11 s to show)."""
        with self._cond:
            self._building = True

    def settle(self, ready: Callable[[], bool] | None = None,
               timeout: float = BUILD_WAIT_SECONDS) -> None:
        """Wait, at most `timeout` seconds, for a rebuild in progress to be published; during
        the first build, once its first pages are in place (`publish_early`), not for what
        `ready` says is there."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or not self._building or (
                self._early and ready is not None and ready()), timeout)

    def publish_early(self, problems: Sequence[str] = ()) -> None:
        """The first build's first pages (serve.first_pages) are written, from every entry
        as it is now: answer those while the rest of the site is built, with `problems`
        (of entry files left out of it) over them."""
        with self._cond:
            self._early = True
            self._problems = tuple(problems)
            self._cond.notify_all()

    def publish(self, changed: Iterable[str], problems: Sequence[str] = (),
                warnings: Sequence[str] = ()) -> int:
        """Record a finished rebuild (changed output paths, the problems that stopped it,
        the warnings of a good one); wake clients."""
        with self._cond:
            self._building = self._early = False
            self._epoch += 1
            self._history.append((self._epoch, frozenset(changed)))
            self._problems = tuple(problems)
            self._warnings = tuple(warnings)
            self._cond.notify_all()
            return self._epoch

    def wait(self, since: int, timeout: float) -> SiteEvent | None:
        """The event a client at epoch `since` has missed, waiting up to timeout for one."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._epoch != since, timeout)
            if self._closed or self._epoch == since:
                return None
            return SiteEvent(self._epoch, self._changed_since(since), self._problems,
                             self._warnings)

    def close(self) -> None:
        """Release every waiting client (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _changed_since(self, since: int) -> tuple[str, ...] | None:
        if since > self._epoch or not self._history or self._history[0][0] > since + 1:
            return None
        changed: set[str] = set()
        for epoch, paths in self._history:
            if epoch > since:
                changed |= paths
        return tuple(sorted(changed))


def overlay_html(problems: Sequence[str]) -> str:
    """The problems box shown over every page while the last rebuild failed ('' if none)."""
    if not problems:
        return ""
    count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
    items = "\n".join(html.escape(p) for p in problems)
    return (f'<div id="{OVERLAY_ID}" role="alert" style="{_OVERLAY_STYLE}">'
            f'<strong style="display:block;margin-bottom:.5rem">growthlog: {count} in the last '
            f'save — showing the last good version until it is fixed</strong>'
            f'<pre style="margin:0;white-space:pre-wrap;font:inherit">{items}</pre></div>')


def banner_html(warnings: Sequence[str]) -> str:
    """The quiet, dismissable list of warnings of the last good rebuild ('' if none).

    data-key names this set of warnings: once dismissed, the same set stays hidden on
    every page of the tab (livereload.js), and a new or different warning shows again."""
    if not warnings:
        return ""
    count = f"{len(warnings)} warning{'s' * (len(warnings) != 1)}"
    key = hashlib.sha256("\n".join(warnings).encode("utf-8")).hexdigest()[:16]
    items = "\n".join(html.escape(w) for w in warnings)
    return (f'<div id="{BANNER_ID}" role="status" data-key="{key}" style="{_BANNER_STYLE}">'
            f'<button type="button" data-growthlog-dismiss aria-label="Dismiss the warnings" '
            f'style="{_DISMISS_STYLE}">×</button>'
            f'<strong style="display:block;margin-bottom:.35rem">growthlog: {count} — the '
            f'page is built, but something may not show as you meant</strong>'
            f'<pre style="margin:0;white-space:pre-wrap;font:inherit">{items}</pre></div>')


def inject(page: bytes, live: LiveSite, paths: Sequence[str],
           snapshot: tuple[int, tuple[str, ...]] | None = None) -> bytes:
    """Add the overlay or the warnings banner (if any) and the live-reload script before
    </body>."""
    epoch, problems = snapshot if snapshot is not None else live.snapshot()
    script = (f'<script src="{SCRIPT}" data-epoch="{epoch}" data-server="{live.server_id}" '
              f'data-paths="{html.escape(json.dumps(list(paths)))}"></script>')
    notice = overlay_html(problems) or banner_html(live.warnings)
    extra = (notice + script).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page + extra if at < 0 else page[:at] + extra + page[at:]


def livereload_script() -> bytes:
    """Read per request (a few KB, on this machine): nothing kept between calls."""
    return resources.files("generator").joinpath("assets/livereload.js").read_bytes()


class DevHandler(BaseHTTPRequestHandler):
    """GET/HEAD on the preview folder, plus the events stream and the reload script."""

    server: DevServer
    server_version = "growthlog"
    _snapshot: tuple[int, tuple[str, ...]] | None = None

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._respond(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)

    def _respond(self, head: bool) -> None:
        if not self.server.answers_to(self.headers.get("Host")):
            # DNS rebinding: a page on attacker.example whose name now points here must not
            # read the (unencrypted) preview. Nothing of the site goes into this answer.
            text = f"growthlog serve answers only at {self.server.url}\n".encode()
            return self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain; charset=utf-8",
                              text, head)
        if self.server.live.private and not is_loopback(str(self.client_address[0])):
            text = b"This log is private: its unencrypted preview is for this machine only.\n"
            return self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", text, head)
        url = urlsplit(self.path)
        live = self.server.live
        if url.path == EVENTS and not head:
            return self._events(parse_qs(url.query))
        relative = _relative_path(url.path)
        live.settle(lambda: url.path == SCRIPT or relative is not None and _is_file(
            live.directory / (relative + "index.html" if relative == "" or
                              relative.endswith("/") else relative)))
        self._snapshot = live.snapshot()
        if url.path == SCRIPT:
            return self._send(HTTPStatus.OK, "text/javascript", livereload_script(), head)
        if relative is None:
            return self._not_found(None, head)
        if relative and not relative.endswith("/") and _is_dir(live.directory / relative):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", f"{url.path}/{'?' + url.query if url.query else ''}")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        file = relative + "index.html" if relative == "" or relative.endswith("/") else relative
        data = _read(live.directory / file)
        if data is None:
            return self._not_found(file, head)
        return self._send_file(HTTPStatus.OK, file, data, [file], head)

    def _not_found(self, file: str | None, head: bool) -> None:
        """The site's 404 page (or a placeholder before the first good build)."""
        data = _read(self.server.live.directory / "404.html")
        if data is None:
            title, text = (("Nothing built yet", "The site will appear here after the first "
                            "successful build.") if file == "index.html" else
                           ("Not found", "There is no page at this address."))
            data = _PLACEHOLDER.format(title=title, text=text).encode("utf-8")
        paths = ["404.html", *([file] if file else [])]
        self._send_file(HTTPStatus.NOT_FOUND, "404.html", data, paths, head)

    def _send_file(self, status: HTTPStatus, file: str, data: bytes, paths: list[str],
                   head: bool) -> None:
        kind = mimetypes.guess_type(file)[0] or "application/octet-stream"
        if kind == "text/html":
            data = inject(data, self.server.live, paths, self._snapshot)
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(status, kind, data, head)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: one message per rebuild the client has not seen yet."""
        live = self.server.live
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        if query.get("server", [live.server_id])[0] != live.server_id:
            since = -1  # a page from an earlier server: it must reload
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            while not live.closed:
                if since < 0:
                    event: SiteEvent | None = SiteEvent(live.epoch, None, live.problems,
                                                        live.warnings)
                else:
                    event = live.wait(since, KEEPALIVE_SECONDS)
                if live.closed:
                    break
                if event is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(f"data: {event.to_json()}\n\n".encode())
                    since = event.epoch
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return


class DevServer(ThreadingHTTPServer):
    """Threaded HTTP server holding the LiveSite its handlers read."""

    daemon_threads = True
    request_queue_size = 128
    """Connections the kernel holds until they are accepted (socketserver's default: 5).
    While a rebuild runs, the accepting thread waits its turn for the interpreter; a
    connection the full queue drops is retried by the browser only a second later."""

    def __init__(self, address: tuple[str, int], live: LiveSite) -> None:
        self.live = live
        self.requested_host = address[0]
        self.answering: threading.Thread | None = None
        super().__init__(address, DevHandler)

    def answer(self) -> None:
        """Start answering, in a background thread (once; the socket listens already)."""
        if self.answering is None:
            self.answering = threading.Thread(target=self.serve_forever,
                                              kwargs={"poll_interval": 0.2},
                                              name="growthlog-http", daemon=True)
            self.answering.start()

    def answers_to(self, host_header: str | None) -> bool:
        """Whether a request's Host names this server: its port, and the address it is bound
        to, the name it was asked to bind, or localhost. Bound to every interface, any IP
        address of the machine is fine (rebinding needs a name), but no other name."""
        host, port = _split_host(host_header or "")
        if not host or port != self.server_address[1]:
            return False
        bound = str(self.server_address[0])
        if host in _LOOPBACK_NAMES or host in (bound, self.requested_host.lower()):
            return True
        return bound in _EVERY_INTERFACE and _is_ip(host)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = host if isinstance(host, str) else host.decode()
        return f"http://{'127.0.0.1' if shown in ('', '0.0.0.0') else shown}:{port}/"


def free_port_after(host: str, port: int, tries: int = 50) -> int | None:
    """The first port after `port` that can be bound on `host` right now, if any."""
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                # as the server binds: a port in TIME_WAIT after an earlier serve is free
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, candidate))
        except OSError:
            continue
        return candidate
    return None


def start_server(live: LiveSite, host: str = "127.0.0.1", port: int = 8000, *,
                 answer: bool = True) -> DevServer:
    """Bind and serve in a background thread (`answer`; else when `DevServer.answer` is
    called: connections wait in the listen queue meanwhile); a taken port raises PortInUse."""
    try:
        server = DevServer((host, port), live)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            free = free_port_after(host, port)
            example = f"--port {free}" if free else "--port 0 (any free port)"
            raise PortInUse(f"port {port} on {host} is already in use; stop the program using "
                            f"it or choose another port with --port, e.g. {example}"
                            ) from None
        raise GrowthlogError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    if answer:
        server.answer()
    return server


def stop_server(server: DevServer) -> None:
    """Release waiting clients, stop accepting requests, close the socket."""
    server.live.close()
    if server.answering is not None:  # else shutdown() would wait for a loop never run
        server.shutdown()
    server.server_close()


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_EVERY_INTERFACE = frozenset({"", "0.0.0.0", "::"})


def _split_host(header: str) -> tuple[str, int | None]:
    """'LocalHost.:8000' → ('localhost', 8000); '[::1]:8000' → ('::1', 8000); no port → 80."""
    text = header.strip().lower()
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return "", None
        port = rest[1:]
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif ":" in text:  # an IPv6 address needs brackets in a Host header
        return "", None
    else:
        host, port = text, ""
    if port and not (port.isascii() and port.isdigit()):
        return "", None
    return host.rstrip("."), int(port) if port else 80


def is_loopback(host: str) -> bool:
    """'127.0.0.1', '::1', 'localhost' (and the rest of 127.0.0.0/8): this machine only."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _relative_path(url_path: str) -> str | None:
    """'/entries/a/' → 'entries/a/'; None for anything outside the folder or hidden."""
    path = unquote(url_path)
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") for p in parts):
        return None
    relative = posixpath.join(*parts) if parts else ""
    return relative + "/" if parts and path.endswith("/") else relative


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long for the disk (ENAMETOOLONG): no such page
        return False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:  # replaced or removed between the check and the read
        return None
