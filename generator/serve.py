"""The dev loop of `growthlog serve`: build → serve → watch → rebuild, until Ctrl-C.

One long-lived BuildCache (build_cache.py) makes a content save cheap: only the saved
files are parsed again and only pages whose data changed are rendered again (a theme or
config change renders everything). Builds go to a temporary preview folder, never to
output/. A rebuild that fails leaves the last good site in place and shows its problems in every
open page; warnings of a good build show as a quieter banner. Drafts are previewed
(marked as drafts) unless asked not to: the author sees what they are writing, while
`build` still leaves drafts out. Nothing the author writes can stop the server.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import jinja2

from generator.build import BuildReport, build
from generator.build_cache import (
    SERVE_FILE,
    BuildCache,
    Listing,
    Parsed,
    load_build_cache,
    new_build_cache,
    save_build_cache,
)
from generator.cache import MarkdownCache, code_key
from generator.config import CONFIG_NAME
from generator.devserver import LiveSite, is_loopback, start_server, stop_server
from generator.errors import GrowthlogError, Problem, ProblemsFound, StateChanged, sort_problems
from generator.parallel import Workers
from generator.render import template_problem
from generator.share_check import KEYFILE
from generator.urls import static_path
from generator.value import Value, frozen
from generator.watch import ChangeSet, Kind, watch_changes

log = logging.getLogger(__name__)

Echo = Callable[[str], None]


@frozen
class RebuildResult(Value):
    """One rebuild of the preview: what changed on disk, or the problems that stopped it."""

    report: BuildReport | None
    """None when the rebuild failed (the last good site is still served)."""
    problems: tuple[Problem, ...]
    seconds: float
    held: tuple[str, ...] = ()
    """Broken entry files (content/x.md) built at their last good version while the rest of
    the site was rebuilt; their errors are among `problems`."""
    left_out: tuple[str, ...] = ()
    """Broken entry files that never built, left out of the preview until fixed."""

    @property
    def ok(self) -> bool:
        """Every save is in the preview: rebuilt, and no entry held back by an error."""
        return self.report is not None and not any(p.is_error for p in self.problems)

    @property
    def changed(self) -> tuple[str, ...]:
        """Output paths written or removed."""
        return (*self.report.written, *self.report.removed) if self.report else ()

    @property
    def problem_lines(self) -> tuple[str, ...]:
        return tuple(p.format() for p in self.problems)

    @property
    def errors(self) -> tuple[str, ...]:
        """What the overlay shows: every problem when the rebuild failed, else the errors
        of the entries held at their last good version."""
        if self.report is None:
            return self.problem_lines
        return tuple(p.format() for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the banner shows: the warnings of a rebuild that succeeded."""
        if self.report is None:
            return ()
        return tuple(p.format() for p in self.problems if not p.is_error)

    def summary(self, what: str) -> str:
        """The one line printed per rebuild."""
        stamp = time.strftime("%H:%M:%S")
        errors = sum(p.is_error for p in self.problems)
        if self.report is None:
            return (f"[{stamp}] {what}: {errors} problem{'s' * (errors != 1)} in "
                    f"{self.seconds:.2f} s; still serving the last good version")
        r = self.report
        warned = len(r.warnings)
        warnings = f"; {warned} warning{'s' * (warned != 1)}" if warned else ""
        drafts = f" ({r.drafts} draft{'s' * (r.drafts != 1)})" if r.drafts else ""
        return (f"[{stamp}] {what}: {self._held_note(errors)}"
                f"{_count(r.entries, 'entry', 'entries')}{drafts}, "
                f"{_count(len(r.written), 'file')} written, {len(r.removed)} removed, "
                f"{_count(r.rendered, 'page')} rendered in {self.seconds * 1000:.0f} ms"
                f"{warnings}")

    def _held_note(self, errors: int) -> str:
        """'1 problem, still serving the last good version of content/a.md; ' or ''."""
        if not self.held and not self.left_out:
            return ""
        parts = [f"{errors} problem{'s' * (errors != 1)}"]
        if self.held:
            parts.append(f"still serving the last good version of {_names(self.held)}")
        if self.left_out:
            parts.append(f"{_names(self.left_out)} left out until fixed")
        return ", ".join(parts) + "; "


def _names(paths: tuple[str, ...]) -> str:
    return paths[0] if len(paths) == 1 else f"{paths[0]} and {len(paths) - 1} more"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


@frozen
class Held(Value):
    """A broken entry file built at its last good version (None: it never built)."""

    standin: Parsed
    """What BuildCache.parsed holds for the file instead of its broken parse."""
    problems: tuple[Problem, ...]
    """What the broken parse found: what a full build would say about the file."""


class Rebuilder:
    """Builds one log into a preview folder again and again, reusing what it can.

    An entry file that no longer parses, or is invalid, does not stop the rebuild (issue
    10, item 5): the rest of the site is built, and that entry keeps its last good version
    (a new entry that never built is left out) until a save fixes it; its errors show
    over every page meanwhile.
    """

    def __init__(self, root: Path, preview: Path, *, drafts: bool = True,
                 disk: bool = False) -> None:
        """`disk`: start from what the last `serve` (else `build`) of this log left in
        .growthlog-cache/, and keep there what the session built last (`keep`)."""
        self.root = root.resolve()  # as the watcher reports paths, for state.forget()
        self.preview = preview
        self.drafts = drafts
        self.key = code_key() if disk else None
        self.cache = _serving(_from_disk(self.root, self.key) if self.key else BuildCache())
        if not preview.exists() or not any(preview.iterdir()):
            # Empty, and nobody deploys it: the first build writes into it in place, as
            # every rebuild does, with no staging folder to swap in (half its time).
            self.cache.written = preview, {}
        self.held: dict[str, Held] = {}
        """Entry files, by name inside content/, built at their last good version."""
        self.folders: dict[str, Problem] = {}
        """Folders inside content/ that cannot be read (by name inside content/, with the
        error that says so): what they held is built as it was last listed and parsed."""
        self._frozen = False
        self._kept = True
        """What the cache holds is on disk already (nothing built since it was loaded)."""
        self._last_ok = False
        self._trim = _malloc_trim()

    def rebuild(self, changes: ChangeSet | None = None, *,
                only: Callable[[str], bool] | None = None,
                workers: Workers | None = None) -> RebuildResult:
        """Apply a batch of saves (None: build everything) and rebuild; never raises.
        `only`: build just the output paths it holds true for (`first_pages`), which a
        build of everything must follow; `workers`: parallel.py's split."""
        started = time.perf_counter()
        before, config = dict(self.cache.parsed), self.cache.config
        seen = self._invalidate(changes) if changes is not None else None
        readable = [f for f in self.folders if not _unreadable(self.root / "content" / f)]
        if readable:  # put right (or gone): list content/ again
            self.folders = {f: p for f, p in self.folders.items() if f not in readable}
            seen = None
        listing = self.cache.listing
        report, problems = self._build(seen, only, workers)
        if report is None and (rest := self._hold_folders(listing, before, problems,
                                                           seen)) is not None:
            # Only folders that cannot be read now were at fault: build again from content/
            # as last listed, so what they held stays as it was (nothing is pruned for them).
            report, problems = self._build(rest, only, workers)
        # What was parsed under another config is no good version: those are left out.
        if report is None and self._hold(before if self.cache.config == config else {},
                                         problems):
            # Only entries were at fault: build again with each at its last good version.
            # Nothing else changed since, and content/ was listed just now.
            report, problems = self._build([], only, workers)
        if report is None:
            # It may have stopped before listing content/, which the next build then
            # cannot bring up to date from the watcher's report alone.
            self.cache.listing = None
        self.held = {name: held for name, held in self.held.items()
                     if self.cache.parsed.get(name) is held.standin}
        if report is not None and only is None and not self._frozen:
            # What the first build keeps (parsed entries, rendered pages) lives as long as
            # serve: take it out of the collector's full sweeps, which otherwise add tens
            # of milliseconds to random saves in a big log.
            gc.freeze()
            self._frozen = True
        # About a held file, say what its broken parse found, not what its stand-in made
        # (a link in the old version's body, say).
        kept = sorted((f"content/{name}", h.standin[1] is None) for name, h in self.held.items())
        names = {name for name, _ in kept}
        problems = [p for p in problems if p.path not in names]
        problems += [p for h in self.held.values() for p in h.problems]
        if report is None:
            self.folders = {}
        problems += self.folders.values()
        result = RebuildResult(report, tuple(sort_problems(problems)),
                               time.perf_counter() - started,
                               tuple(sorted([*(f"content/{f}" for f in self.folders),
                                             *(name for name, gone in kept if not gone)])),
                               tuple(name for name, gone in kept if gone))
        markdown = self.cache.markdown
        self._kept = self._kept and changes is None and report is not None \
            and report.rendered == 0 and (markdown is None or not markdown.asked)
        self._last_ok = result.ok
        if report is not None and only is None:
            # Unchanged entries come as parsed from the cache; past the first build (its
            # first pages too: the rest of it follows) the Markdown cache would only record
            # every body asked, save after save.
            self.cache.markdown = None
        if self._trim is not None:
            # A save frees a few pages and fragments of tens of KB each, scattered through
            # malloc's heap, which keeps them: a 1,000-entry session's memory grew by 7.5 %
            # over 350 saves, 2.7 % when they are handed back (about 2 ms a save).
            self._trim(0)
        return result

    def keep(self) -> None:
        """At the end of a session: save what it built last for the next `serve`, unless
        that build failed or held an entry at an old version (a stand-in is no parse of the
        file), or nothing was built since the cache was loaded. Called while no rebuild runs."""
        if self.key is None or self._kept or not self._last_ok:
            return
        self.cache.markdown = MarkdownCache()  # bodies of unchanged entries are in `parsed`
        save_build_cache(self.root, self.cache, self.key, SERVE_FILE)
        self._kept = True

    def _afresh(self) -> BuildCache:
        """A cache with nothing in it but where the compiled templates are kept (`key`)."""
        return _serving(new_build_cache(self.key) if self.key else BuildCache())

    def _build(self, seen: list[Path] | None, only: Callable[[str], bool] | None = None,
               workers: Workers | None = None) -> tuple[BuildReport | None, list[Problem]]:
        """One build into the preview: its report and warnings, or None and its problems."""
        try:
            # A private log is previewed unencrypted: only on this machine, never in output/.
            report = build(self.root, output=self.preview, drafts=self.drafts, cache=self.cache,
                           seen=seen, base_url="/", private=False, only=only,
                           workers=workers, keep_old=False)
            return report, list(report.warnings)
        except ProblemsFound as exc:
            return None, exc.problems
        except StateChanged:  # what was loaded from disk (damaged, or changed): from nothing
            self.cache = self._afresh()
            return self._build(None, only, workers)
        except GrowthlogError as exc:
            return None, [Problem("growthlog", str(exc))]
        except jinja2.TemplateError as exc:
            return None, [template_problem(exc)]
        except Exception as exc:  # noqa: BLE001 - the server must outlive any bug
            log.exception("rebuild failed")
            self.cache = self._afresh()
            return None, [Problem("growthlog", f"internal error: {exc!r}")]

    def _hold_folders(self, listing: Listing | None, before: dict[str, Parsed],
                      problems: list[Problem], seen: list[Path] | None) -> list[Path] | None:
        """If every error is a folder inside content/ that cannot be read, and content/ was
        listed before, take that listing and what its entries parsed to back (`before`),
        the errors set aside (`self.folders`), and return what the next build may take as
        every change; else None."""
        unreadable = {f"content/{inside}": (inside, why) for inside, why in self.cache.unreadable}
        errors = [p for p in problems if p.is_error]
        if listing is None or not errors or "content/" in unreadable \
                or any(p.path not in unreadable for p in errors):
            return None
        self.folders.update({inside: Problem(
            f"content/{inside}", f"cannot be read ({why}); fix its permissions or remove it; "
            "meanwhile its entries show as they were last read")
            for inside, why in (unreadable[p.path] for p in errors)})
        self.cache.listing, self.cache.unreadable = listing, ()
        self.cache.parsed.update({name: parsed for name, parsed in before.items()
                                  if any(name.startswith(f + "/") for f in self.folders)})
        folders = [os.fspath(self.root / "content" / inside) for inside in self.folders]
        return [path for path in seen or () if os.fspath(path) not in folders]

    def _hold(self, before: dict[str, Parsed], problems: list[Problem]) -> bool:
        """If every error is in an entry file as just parsed, put each such file's last
        good parse (from `before`) in its place and return True; else change nothing."""
        parsed = self.cache.parsed
        broken = {name: found for name, found in parsed.items()
                  if any(p.is_error for p in found[2])}
        in_entries = {p for _, _, found in broken.values() for p in found}
        if not broken or any(p.is_error and p not in in_entries for p in problems):
            return False
        for name, (key, _, found) in broken.items():
            last = before.get(name)
            good = last is not None and last[1] is not None \
                and not any(p.is_error for p in last[2])
            # The broken file's problems, not the old version's, are said (by `rebuild`).
            standin: Parsed = (key, last[1] if good and last else None, [])
            parsed[name] = standin
            self.held[name] = Held(standin, tuple(found))
        return True

    def _invalidate(self, changes: ChangeSet) -> list[Path] | None:
        """Drop what these changes make stale; what the next build may take as every
        change under content/ (None: it must look at all of content/)."""
        if changes.kind is Kind.CONFIG:
            self.cache = self._afresh()
            return None
        if changes.kind is Kind.THEME:
            self.cache.forget_theme()
        # Saves within one timestamp tick keep (mtime, size): never trust the cache here.
        self.cache.forget(changes.paths, self.root / "content")
        return list(changes.content) if changes.kind is Kind.CONTENT else None


def _serving(cache: BuildCache) -> BuildCache:
    """A cache for serve's builds: its renderer notes what each page reads of entries, so
    a save renders again only pages that show something it changed (page_reads.py)."""
    cache.pages.note_reads = True
    return cache


def _unreadable(folder: Path) -> bool:
    """A folder that is there but cannot be listed."""
    try:
        with os.scandir(folder):
            return False
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, which hands memory freed inside the heap back to the system;
    None where the C library has none."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def _from_disk(root: Path, key: str) -> BuildCache:
    """The last `serve`'s cache, else the last `build`'s (whose entries and pages are the
    preview's when base_url is /): both key entry files by their names inside content/,
    however the log's path was spelled (build_cache.py)."""
    cache = load_build_cache(root, key, SERVE_FILE)
    if cache.config is None:
        cache = load_build_cache(root, key)
    return cache


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, drafts: bool = True,
          open_browser: bool = False, echo: Echo = print,
          ready: threading.Event | None = None, stop: threading.Event | None = None) -> None:
    """Serve ROOT's site with live reload until Ctrl-C (or `stop`); PortInUse if taken."""
    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # not its own Ctrl-C notice
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up like Ctrl-C does
    preview = Path(tempfile.mkdtemp(prefix="growthlog-preview-"))
    stop = stop if stop is not None else threading.Event()
    try:
        live = LiveSite(preview)
        live.private = is_private_log(root)
        # The preview of a private log is unencrypted: it never listens beyond loopback.
        bind = "127.0.0.1" if live.private and not is_loopback(host) else host
        # Bound now (a taken port is said at once), answering once the first page is built:
        # no other thread runs while that build may fork (parallel.py).
        server = start_server(live, bind, port, answer=False)
        rebuilder: Rebuilder | None = None
        try:
            # A private log's preview (unencrypted) is kept nowhere but the temporary folder.
            rebuilder = Rebuilder(root, preview, drafts=drafts, disk=not live.private)
            live.begin()
            # The home page first (what a browser opens), from every entry parsed, then the
            # rest: a request for a page not written yet waits for it.
            first = rebuilder.rebuild(only=first_pages, workers=Workers.available())
            server.answer()
            if first.report is not None:  # built, perhaps without entries that have errors
                live.publish_early(first.errors)
            echo(f"Serving {root} at {server.url} (preview in {preview}; Ctrl-C to stop)")
            if open_browser:
                from generator import children

                children.open_browser(server.url)
            result = rebuilder.rebuild()
            live.publish(result.changed, result.errors, result.warnings)
            _report(echo, result, "first build", ())
            if live.private:
                asked = f", not on {host} as --host asked" if bind != host else ""
                echo(f"This log is private: the preview is unencrypted, so it listens on {bind} "
                     f"only{asked}; no other machine can open it.")
            elif bind in ("", "0.0.0.0", "::"):
                echo("Listening on every network interface: anyone who can reach this machine "
                     "can open the preview.")
            if ready is not None:
                ready.set()
            _loop(root, rebuilder, live, stop, echo, result)
        finally:
            stop.set()
            stop_server(server)
            if rebuilder is not None and not live.private:  # not if it became private since
                rebuilder.keep()  # for the next start (pickling would hold up the first page)
    except KeyboardInterrupt:
        pass
    finally:
        shutil.rmtree(preview, ignore_errors=True)
    echo("Stopped.")


def first_pages(path: str) -> bool:
    """What serve builds before the rest of its first build: the home page, the 404 page
    and the theme's static files (the paths of a public build with base URL /)."""
    return path in ("index.html", "404.html") or path.startswith(static_path(""))


def is_private_log(root: Path) -> bool:
    """Private unless growthlog.toml plainly says otherwise and the log has no keyfile: a
    config that does not parse counts as private (the safe guess)."""
    if (root / KEYFILE).exists():
        return True
    try:
        data = tomllib.loads((root / CONFIG_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return data.get("private", False) is not False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _loop(root: Path, rebuilder: Rebuilder, live: LiveSite, stop: threading.Event,
          echo: Echo, last: RebuildResult) -> None:
    for changes in watch_changes(root, stop):
        live.begin()
        result = rebuilder.rebuild(changes)
        live.publish(result.changed, result.errors, result.warnings)
        _report(echo, result, changes.describe(root.resolve()), last.problems)
        if not live.private and is_private_log(root):
            live.private = True  # from now on the handler refuses every other machine
            echo("This log is now private: the preview answers this machine only; restart "
                 "`growthlog serve` to listen on 127.0.0.1 alone.")
        last = result


def _report(echo: Echo, result: RebuildResult, what: str, before: tuple[Problem, ...]) -> None:
    echo(result.summary(what))
    if result.report is None or result.problems != before:  # held entries: said once
        for line in result.problem_lines:
            echo(f"  {line}")
