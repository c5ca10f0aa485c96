"""The build cache in ROOT/.growthlog-cache/: what `growthlog build` may take from its last run.

Files, each written atomically (a journal appended to in one write, each commit
checked when read: records.py) after a successful public build and each stamped with
a key of everything that shapes what it holds (growthlog's code, the renderers'
versions). A file that is missing, corrupt, half-written or stamped with another key is
ignored and rebuilt, never trusted; `build --no-cache` neither reads nor writes them.

* build.json: a fingerprint of the last public build's inputs (every file in content/,
  the config, every theme file, the options) and the files it wrote (size, mtime and ctime).
  When nothing differs and the output is as it was left, `build` writes nothing.
* state.pickle, state.base, state.journal: the last build's BuildCache (build_cache.py,
  records.py): entries as parsed, results per entry, rendered pages, and each entry
  body's rendered Markdown (HTML, words, summary, broken links; MarkdownCache here) by a
  hash of the body, the attachments its links resolve against and the renderer
  settings. Only what the last build used is kept.

What it holds is derived from the log's own files: entries and pages as a public build
publishes them (no more private than the Markdown beside them) and hashes. Never a key, a
passphrase or anything derived from them: a private build neither reads nor writes the
cache (its pages name attachments by names derived from the site key, and its passphrase
is checked on every build).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from generator.config import load_config
from generator.errors import Problem, Severity
from generator.output import buffer_settled, tree
from generator.report import BuildReport
from generator.sources import scan_content
from generator.value import Value, frozen

if TYPE_CHECKING:  # Markdown: only for entries to parse, never for a build with nothing changed
    from generator.markup import LinkContext, RenderedMarkdown
    from generator.model import Entry

CACHE_DIR = ".growthlog-cache"
OLD_MARKDOWN_FILE = "markdown.json"
"""Where rendered bodies were kept before state.pickle held them: removed when seen."""
BUILD_FILE = "build.json"
_FORMAT = 2


def code_key() -> str:
    """What the cached results depend on besides the log: growthlog's own code (every
    module, so an edited checkout never reuses stale results), its installed version and
    the libraries'. On POSIX each module by its stamp, as `fingerprint` takes each input:
    an edit or a new copy sets its ctime and inode, which no tool puts back on a file
    system one writes to (reading every module was 1.5 ms of each build). Elsewhere
    (Windows: ctime is the creation time) by its bytes. A read-only image (squashfs:
    fixed mtimes, inodes in order) may keep a module's stamp: its version tells it."""
    digest = hashlib.sha256(f"{_FORMAT}\0{sys.version}".encode())
    with os.scandir(os.path.dirname(os.path.realpath(__file__))) as listing:
        modules = sorted((item.name, item.path) for item in listing if item.name.endswith(".py"))
    posix = os.name == "posix"
    for name, path in modules:
        digest.update(name.encode() + (stamp(path) if posix else b"\0" + Path(path).read_bytes()))
    names = ("markdown-it-py", "markdown-it-pyrs", "mdit-py-plugins", "jinja2", "PyYAML",
             "pydantic-core", "python-slugify")
    found = installed_versions((*names, "growthlog"))
    digest.update(f"growthlog={found.get('growthlog', '')}\0".encode())
    for name in names:
        digest.update(f"{name}={found.get(name) or _version(name)}\0".encode())
    return digest.hexdigest()


def installed_versions(names: Iterable[str]) -> dict[str, str]:
    """The version of each of these distributions that imports would load: from the name of
    its first .dist-info folder on sys.path (what pip writes), as importlib.metadata finds
    it, but without loading importlib.metadata (12 ms of every build). Left out when none."""
    wanted = {_normal(name): name for name in names}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            listing = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in listing:
            if entry.endswith(".dist-info"):
                project, _, version = entry.removesuffix(".dist-info").partition("-")
                name = wanted.get(_normal(project))
                if name is not None and version and name not in found:
                    found[name] = version
        if len(found) == len(wanted):
            break
    return found


def _normal(project: str) -> str:
    """A distribution's name as PEP 503 compares them."""
    return "-".join(part for part in project.lower().replace("_", "-").replace(".", "-")
                    .split("-") if part)


def _version(name: str) -> str:
    """Where no .dist-info folder names it (an egg, a zip): importlib.metadata's answer."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


Known: TypeAlias = "list[object] | tuple[Entry, list[object]]"
"""What a body rendered to: [HTML, words, summary, broken links, attachments, entry
links]; or an entry and that list with None for the HTML and words, which are the
entry's bodies (build_cache.py keeps them once, and reads them only when asked for)."""


class MarkdownCache:
    """Rendered entry bodies by hash; `render` renders only what it has not seen."""

    def __init__(self, known: dict[str, Known] | None = None) -> None:
        self._known = known or {}
        self._used: dict[str, Known] = {}
        self.asked: list[str] = []
        """The digest of every body asked for, in order (build_cache.py keeps each entry
        file's, so a body it does not parse again stays in the cache)."""
        self.hits = 0
        from generator.markup import Markdown

        self.markdown = Markdown()
        """The parsers this build renders with."""

    def render(self, text: str, links: LinkContext, *,
               unsafe_html: bool = False) -> RenderedMarkdown:
        """render_markdown, or what it gave for the same input last time."""
        from generator.markup import render_markdown

        if links.urls.rename is not None:  # private names: never kept on disk
            return render_markdown(text, links, unsafe_html=unsafe_html,
                                   markdown=self.markdown)
        digest = hashlib.sha256("\0".join((
            str(unsafe_html), links.source_dir, _links_key(links), text)).encode()).hexdigest()
        known = self._known.get(digest)
        rendered = _rendered(known) if known is not None else None
        if rendered is None or known is None:
            rendered = render_markdown(text, links, unsafe_html=unsafe_html,
                                       markdown=self.markdown)
            known = [rendered.html, rendered.text, rendered.summary,
                     [list(b) for b in rendered.broken_links], list(rendered.attachments),
                     [list(e) for e in rendered.entry_links]]
        else:
            self.hits += 1
        self._used[digest] = known
        self.asked.append(digest)
        return rendered

    def keep(self, digests: Iterable[str]) -> None:
        """Keep these bodies, of an entry taken as it was parsed last time, in the cache."""
        for digest in digests:
            known = self._known.get(digest)
            if known is not None:
                self._used[digest] = known

    def known(self, digests: Iterable[str]) -> list[Known]:
        """What these bodies rendered to (of those this build asked for), to be sent to
        the process that keeps the cache (parallel.py)."""
        return [self._used[digest] for digest in digests]

    def adopt(self, digests: Iterable[str], known: Iterable[Known]) -> None:
        """Keep bodies another process rendered for this build (their `known`)."""
        self._used.update(zip(digests, known, strict=True))

    def used(self) -> dict[str, Known]:
        """What this build asked for or kept: all the next one may need (so the cache
        never grows past the log)."""
        return self._used


def _links_key(links: LinkContext) -> str:
    # The cache serves public builds only, whose hrefs follow from the base URL.
    return links.urls.base_url + "\x1f" + "\x1f".join(sorted(links.assets))


def _rendered(cached: object) -> RenderedMarkdown | None:
    from generator.markup import RenderedMarkdown

    if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[1], list) \
            and len(cached[1]) == 6 and cached[1][0] is None and cached[1][1] is None:
        from generator.model import Entry

        if type(cached[0]) is not Entry:
            return None
        cached = [cached[0].body_html, cached[0].body_text, *cached[1][2:]]
    if not (isinstance(cached, list) and len(cached) == 6):
        return None
    html, text, summary, broken, attachments, entry_links = cached
    if not (isinstance(html, str) and isinstance(text, str) and isinstance(summary, str)
            and isinstance(broken, list) and isinstance(attachments, list)
            and isinstance(entry_links, list)):
        return None
    try:
        links = tuple((int(line), str(target)) for line, target in broken)
        to_entries = tuple((int(line), str(address), str(target))
                           for line, address, target in entry_links)
    except (TypeError, ValueError):
        return None
    return RenderedMarkdown(html, text, summary, links, tuple(map(str, attachments)),
                            to_entries)


@frozen
class LastBuild(Value):
    """What the last build reported, for a build that finds nothing changed."""

    entries: int
    tags: int
    unchanged: int
    warnings: tuple[Problem, ...]
    drafts: int = 0


def fingerprint(root: Path, *, key: str, content: Iterable[tuple[str, str]],
                theme_dirs: Iterable[Path], options: dict[str, object],
                keys: dict[str, tuple[int, int, int]] | None = None) -> str:
    """A hash of every input of a build: the config's bytes, the stamp of each content and
    theme file, the options. A stamp (size, mtime, ctime, inode), not the bytes: a save
    sets ctime, which no tool can put back, and an editor's save by rename makes a new
    inode; what changes none of them, the build's own cache of each entry as parsed
    (build_cache.FileKey) could not tell either. So only stat, not read, each file (a
    thousand files: 20 ms of every build). `keys`: gets each content file's
    build_cache.FileKey (mtime, ctime, size), by path on disk, for the build that follows."""
    digest = hashlib.sha256(f"{key}\0{json.dumps(options, sort_keys=True)}".encode())
    config = root / "growthlog.toml"
    digest.update(config.read_bytes() if config.is_file() else b"\0no config")
    for inside, path in content:
        found = os.stat(path)
        digest.update(b"\0c\0" + inside.encode() + stamp(path, found))
        if keys is not None:
            keys[path] = found.st_mtime_ns, found.st_ctime_ns, found.st_size
    for folder in theme_dirs:
        hash_folder(digest.update, os.fspath(folder))
    return digest.hexdigest()


def hash_folder(update: Callable[[bytes], object], folder: str, real: str | None = None,
                ) -> None:
    """Give `update` a folder by where it really is (`real`, else looked up), however the
    log's path was spelled, then each file in it, named inside it, with its stamp."""
    update(b"\0d\0" + os.fsencode(real if real is not None else os.path.realpath(folder)))
    for file in sorted(files_under(folder)):
        update(b"\0t\0" + os.fsencode(file[len(folder):]) + stamp(file))


def files_under(folder: str) -> list[str]:
    """Every file in the folder and the folders in it (not through a link to a folder; a
    link to a file counts), a folder that cannot be listed or is gone (even the folder
    itself) left out: as Path.rglob and is_file see them, without a Path each (a seventh
    of the time), by output.py's walk."""
    return [item.path for _, items in tree(folder) for item in items
            if not item.is_dir(follow_symlinks=False) and item.is_file()]


def stamp(path: str | Path, found: os.stat_result | None = None) -> bytes:
    found = found if found is not None else os.stat(path)
    if not S_ISREG(found.st_mode):
        raise IsADirectoryError(path)  # (unreadable as a file: the full build names it)
    return b"\0%d\0%d\0%d\0%d" % (found.st_size, found.st_mtime_ns, found.st_ctime_ns,
                                   found.st_ino)


@frozen
class Inputs(Value):
    """What `unchanged_build` took of a build's inputs, for the build that follows."""

    fingerprint: str
    key: str
    """code_key(), which went into it (a look at every module of growthlog's: not twice)."""
    content: list[tuple[str, str]]
    """content/ as listed for it (sources.scan_content), for the build: not listed twice."""
    outside: tuple[str, ...]
    """Names inside content/ of links that lead out of it, as listed then."""
    keys: dict[str, tuple[int, int, int]]
    """Each content file's build_cache.FileKey then, by path on disk: not looked at twice."""


def unchanged_build(root: Path, out_dir: Path, *, drafts: bool, base_url: str | None,
                    private: bool | None) -> tuple[BuildReport | None, Inputs | None]:
    """The report of a build that finds every input and output file as the last one left
    them (so it has nothing to do), else None; and the fingerprint to record after a full
    build (None for a private build, whose passphrase is checked every time, or when the
    config has errors). Loads neither Markdown nor Jinja: `growthlog build` asks first."""
    started = time.perf_counter()
    config, problems = load_config(root)
    if any(p.is_error for p in problems) or (config.private if private is None else private):
        return None, None
    package = Path(__file__).resolve().parent
    themes = [d for d in (root / "themes", package / "themes", package.parent / "themes")
              if d.is_dir()]  # every theme folder there is: a superset of the one used
    unreadable: list[tuple[str, str]] = []
    outside: list[str] = []
    listing = scan_content(root / "content", outside, unreadable)
    keys: dict[str, tuple[int, int, int]] = {}
    try:
        key = code_key()
        print_ = fingerprint(root, key=key, content=listing, theme_dirs=themes,
                             options={"output": os.fspath(out_dir.resolve()), "drafts": drafts,
                                      "base_url": base_url,
                                      "epoch": os.environ.get("SOURCE_DATE_EPOCH")},
                             keys=keys)
    except OSError:  # an input that cannot be read: the full build names it
        return None, None
    if unreadable:
        return None, None
    inputs = Inputs(print_, key, listing, tuple(outside), keys)
    last = up_to_date(root, print_, out_dir)
    if last is None:
        return None, inputs
    return BuildReport(entries=last.entries, tags=last.tags, written=(),
                       unchanged=last.unchanged, removed=(), rendered=0,
                       seconds=time.perf_counter() - started, warnings=last.warnings,
                       drafts=last.drafts), inputs


def up_to_date(root: Path, print_: str, out_dir: Path) -> LastBuild | None:
    """The last build's figures if it had this fingerprint and its files are untouched."""
    data = _read_json(root / CACHE_DIR / BUILD_FILE)
    files = data.get("files")
    if data.get("fingerprint") != print_ or data.get("output") != os.fspath(out_dir.resolve()) \
            or not isinstance(files, dict):
        return None
    if not buffer_settled(out_dir):
        return None  # left by a build stopped part-way: a real build clears it
    inside = f"{out_dir.resolve()}/"  # strings, not Paths: thousands of files
    for path, stamp in files.items():
        try:
            stat = os.stat(inside + path)
        except OSError:
            return None
        if [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns] != stamp:
            return None
    try:
        warnings = tuple(Problem(str(w["path"]), str(w["message"]), w.get("line"),
                                 w.get("field"), Severity(w["severity"]))
                         for w in data["warnings"])  # type: ignore[attr-defined]
        return LastBuild(int(data["entries"]), int(data["tags"]),  # type: ignore[call-overload]
                         int(data["unchanged"]), warnings,  # type: ignore[call-overload]
                         int(data.get("drafts", 0)))  # type: ignore[call-overload]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def stat_files(out_dir: Path, paths: Iterable[str]) -> dict[str, os.stat_result | None]:
    """Each file's stat (None: not there), taken once after a write for both what the next
    build checks (record_build) and the stamps of the build state's pages."""
    inside = f"{out_dir.resolve()}/"  # strings, not Paths: thousands of files
    found: dict[str, os.stat_result | None] = {}
    for path in paths:
        try:
            found[path] = os.stat(inside + path)
        except OSError:
            found[path] = None
    return found


def record_build(root: Path, print_: str, out_dir: Path,
                 found: dict[str, os.stat_result | None], last: LastBuild) -> None:
    """Remember this build's fingerprint and the files now in out_dir (with the manifest),
    as `stat_files` found them."""
    files: dict[str, list[int]] = {}
    for path, stat in found.items():
        if stat is None:
            return  # something else is changing the folder: never skip the next build
        files[path] = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
    _write_json(root / CACHE_DIR / BUILD_FILE, {
        "fingerprint": print_, "output": os.fspath(out_dir.resolve()), "files": files,
        "entries": last.entries, "tags": last.tags, "unchanged": last.unchanged,
        "drafts": last.drafts,
        "warnings": [{"path": w.path, "message": w.message, "line": w.line, "field": w.field,
                      "severity": w.severity.value} for w in last.warnings]})


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, object]) -> None:
    write_cache_file(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def write_cache_file(path: Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Atomically: a half-written cache file is never seen under its name. `data`: the
    bytes, or what writes them to the open file."""
    try:
        path.parent.mkdir(exist_ok=True)
        gitignore = path.parent / ".gitignore"
        if path.parent.name == CACHE_DIR and not gitignore.exists():  # the folder and all in it
            gitignore.write_text("*\n", encoding="utf-8")
        # As tempfile.mkstemp does, without importing it (and shutil, lzma, bz2: ~2.4 ms
        # of every build); a clash of 48 random bits only leaves this file unwritten.
        tmp = path.parent / f".tmp-{os.urandom(6).hex()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError:
        return  # a cache that cannot be written only costs the next build time
    try:
        with os.fdopen(fd, "wb") as file:
            if isinstance(data, bytes):
                file.write(data)
            else:
                data(file)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # a full disk: no half file left behind
            os.unlink(tmp)
        if not isinstance(exc, OSError):
            raise
