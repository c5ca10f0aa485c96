"""BuildCache: everything one build may reuse from the last build of the same log, in one object.

`serve` owns one for its whole session and passes it to every build; a one-off `build`
loads the last one from .growthlog-cache/ (`load_build_cache`), as `check` does. Nothing
else in growthlog remembers anything between calls: no module-level memo, no attribute
patched onto a shared object. Every part is keyed by a file path, an entry's source or an
output path and holds only the current version of what it is keyed by, so a long `serve`
session holds one version of each entry, however often it was edited.

Every key kept that names an entry file is its name inside content/ ("2024/x.md", as
sources.scan_content lists it), never its path as a command line spelled the log; the
theme's hash names each theme file by where it really is (`theme_print`); the output
folder is kept resolved. So a log built as `log`, `/abs/log`, `./log/` or through a link
to it has one state. Paths on disk are for reading files (the listing pairs each name
with one), and key only `files`, which is never kept (one process spells the log one way).

The parts, each with its key and what drops it:

* config, links: the config and the attachment set entries were parsed with; when either
  differs, `parsed` goes too (and the theme, with the config).
* listing, outside, unreadable: content/ as last listed; listed again unless a watcher reports only
  entry files saved, created or deleted (`listing_after`).
* parsed: each entry file's Entry and problems, by name inside content/; dropped when its
  (mtime, size) differs or a watcher reports it (`forget`). earlier: what was dropped
  (by `forget`, another config or attachment set) until the file is parsed whole (a parse
  that reads it but for its body, `fronts`, keeps it there), which takes an
  entry parsed again to an equal Entry as that same object: what the memo, `linked` and
  the pages hold of it stay one object, kept on disk as a reference to its record, not
  as a second whole copy (a `git checkout`, or a new title in the config, doubled the
  state for good: every memo hit kept the old object).
* fronts: entry files read but for their bodies (serve's first page renders only the
  bodies it shows), by name inside content/ with their key: until a build renders them.
* files: bytes of attachments and theme static files, by path on disk; likewise.
* linked: entries with their links to other entries resolved, by source (entry_links.py).
* memo: results computed per entry, by (kind, source): the entry with a unique slug or
  canonical tags, its lessons, action items and lesson points, its company's slug, its
  search record, its page's plan; and the progress charts, by (kind, chart). A result is
  reused while its inputs are equal; keys a build did not ask for go after it (`finish`).
* theme: the theme's folders and template loader; a theme file changed: `forget_theme`.
* pages: the renderer (one Jinja environment and fragment store per theme, URLs and
  config: render.Renderer) and each page's bytes with its plan, by output path; a page is
  rendered again when its plan differs, every page when the renderer does.
* written: the output folder and what the last complete write put there.
* markdown: rendered entry bodies by a hash of their inputs (`growthlog build` only;
  cache.py); bodies: the digests of the bodies each entry file was parsed with, by name
  inside content/ (so the bodies of entries not parsed again stay).

`growthlog build` keeps this object on disk between runs, in .growthlog-cache/
(`load_build_cache`, `save_build_cache`), so a build after one entry was edited parses
that entry and renders the pages that show it, like a rebuild in `serve`. Kept: config,
links, parsed, bodies, markdown, linked, memo and the pages (with the theme files' hash
and the renderer's key they were rendered with, and what each read of entries: its
renderer notes that, as serve's does, page_reads.py); not kept: the listing (content/ is
listed again), files, theme, written (a build swaps in the whole new site). A page's
bytes are not kept again: the output folder has them. state.pickle holds their hash and
the stamp (output.Stamp) of the file that holds them; the next build into that folder
leaves their bytes there, unread (output.Unread): its write takes a page it did not
render again as unchanged while its stamp is, without reading or hashing it
(`on_disk`), and stops at one whose file changed (edited or deleted by hand) before
anything is written: the build renders those pages again (build.py). A build into
another folder, `check` and `serve` read them, and drop a page whose file changed.
serve.pickle keeps the bytes (its preview folder is its own). Each entry file's part (as
parsed, its bodies' digests and rendered Markdown, and the memo's results of that entry
alone: its search record, its lessons' points) is a record in state.base and state.journal
(records.py): a build writes the records of the entries it parsed again, so after one edit
it appends one record. In state.base an entry's bodies (its HTML and words, most of the
file) are in the tail, read when something first asks for them (model.later_entry): a
build that renders few pages again reads few. The rest is state.pickle, rewritten whole,
which refers to each entry as parsed by its path and names the records' save it belongs
with (parts of two saves: none is trusted). All are stamped with cache.code_key
(growthlog's code, the libraries' versions), written only by a public build (`check` and
`serve` read it): what it holds are the log's entries as parsed and its pages as
published, no more private than the Markdown and the output beside it. It is a pickle,
so it is read only from the log's own folder, which is trusted with code already: its
theme's templates run there too.

Validity is always decided by equality of inputs (identity is a fast path of it), never by
which object happens to come back.
"""

from __future__ import annotations

import contextlib
import copyreg
import hashlib
import operator
import os
import pickle
import stat
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from generator import records
from generator.cache import (
    CACHE_DIR,
    OLD_MARKDOWN_FILE,
    Known,
    MarkdownCache,
    hash_folder,
    write_cache_file,
)
from generator.collector import collector_off
from generator.config import SiteConfig
from generator.entry_links import LinkCache
from generator.errors import Problem, StateChanged
from generator.markup import LinkContext
from generator.memo import Memo
from generator.model import (
    BODIES,
    LATER_FIELDS,
    Entry,
    Plain,
    Practices,
    TagRef,
    bodies_later,
    later_entry,
)
from generator.output import OnDisk, Stamp, Unread, file_stamp, read_stamped
from generator.render import PagePlan, RenderCache
from generator.sources import is_entry_name, is_ignored_name
from generator.urls import Urls
from generator.value import fields_getter

if TYPE_CHECKING:  # the validator loads only when an entry is parsed, Jinja when a page
    from generator.entries import Front  # is rendered (render.load_rendering)
    from generator.theme import Theme

FileKey = tuple[int, int, int]
"""(mtime_ns, ctime_ns, size): a file whose key is unchanged is not re-read. ctime, which
no tool can set, catches a save that keeps the size and puts the old mtime back."""
Parsed = tuple[FileKey, Entry | None, list[Problem]]
"""An entry file as read: its key, its Entry (None when it did not parse) and problems."""
STATE_FILE = "state.pickle"
SERVE_FILE = "serve.pickle"
"""What `serve` left: its preview's URLs (base /) and drafts, not a build's."""
OLD_TEMPLATES_DIR = "templates"
"""Where compiled templates were kept before they moved to the user's cache folder
(compiled.py): removed by the next build."""
_MAGIC = b"growthlog build state 2\n"
Kept = bytes | tuple[str, int, int, int, int]
"""A page's bytes, or (in state.pickle) its hash and the stamp of the output folder's file
that holds them (output.Stamp)."""
Listing = list[tuple[str, str]]
"""content/ as listed: (name inside content/, path on disk), in listing order."""


@dataclass(eq=False, repr=False)
class BuildCache:
    """What a rebuild may reuse; see the module's table for each part's key and validity."""

    config: SiteConfig | None = None
    links: LinkContext | None = None
    listing: Listing | None = None
    outside: tuple[str, ...] = ()
    """Names inside content/ of links that lead out of it, as last listed (never read)."""
    unreadable: tuple[tuple[str, str], ...] = ()
    """Names inside content/ that could not be listed or followed, with the reason."""
    parsed: dict[str, Parsed] = field(default_factory=dict)
    """By name inside content/ (a str: serve looks up every entry on every save)."""
    earlier: dict[str, Parsed] = field(default_factory=dict)
    """Entry files as parsed before `parsed` dropped them, by name (until parsed whole)."""
    fronts: dict[str, tuple[FileKey, Front]] = field(default_factory=dict)
    files: dict[str, tuple[FileKey, bytes]] = field(default_factory=dict)
    linked: LinkCache = field(default_factory=dict)
    memo: Memo = field(default_factory=Memo)
    theme: Theme | None = None
    pages: RenderCache = field(default_factory=RenderCache)
    written: tuple[Path, dict[str, bytes]] | None = None
    """The folder last written completely and what it got: unchanged bytes skip hashing."""
    markdown: MarkdownCache | None = None
    bodies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    theme_print: str | None = None
    """A hash of every file of `theme` (pages of another theme are not reused)."""
    restored: tuple[tuple[object, ...], dict[str, tuple[PagePlan, Kept]], str | None,
                    dict[str, frozenset[str]]] | None = None
    """Pages from disk with the key they were rendered with, the output folder their
    bytes are in (Kept) and what each read of entries, until the theme is known."""
    on_disk: tuple[Path, OnDisk] | None = None
    """Pages whose bytes were read from the output folder the last build wrote, for this
    build's write (output.write_output); dropped once written."""
    output: tuple[Path, Mapping[str, str]] | None = None
    """The folder this build wrote and the hash of each file it holds (for save)."""
    stored: records.Loaded | None = None
    """The entries' records as last loaded or saved: a save writes those that changed
    (every record, if saved as another state file: serve's first, of a build's state)."""
    unread: str | None = None
    """The output folder this build writes: pages it holds as the last build left them
    stand as output.Unread, not read (the write takes them as they are; check and serve,
    None, need bytes)."""

    def use_theme(self, theme: Theme, urls: Urls, config: SiteConfig) -> Theme:
        """The theme found for this build: pages from disk stay if it is the same."""
        self.theme, self.theme_print = theme, theme_print(theme)
        restored, self.restored = self.restored, None
        if restored is not None and restored[0] == (self.theme_print, *urls.key, config):
            self.pages.renderer = self.pages.make(theme, urls, config)
            self.pages.pages, self.on_disk = _read_pages(restored[1], restored[2],
                                                         read=self.unread is None
                                                         or restored[2] != self.unread)
            self.pages.reads = {path: read for path, read in restored[3].items()
                                if path in self.pages.pages}
        return theme

    def use_config(self, config: SiteConfig) -> None:
        """Entries parsed, and the theme found, under another config are not valid."""
        if config != self.config:
            self.earlier.update(self.parsed)
            self.config, self.parsed, self.fronts, self.theme = config, {}, {}, None

    def use_links(self, links: LinkContext) -> None:
        """Entries link attachments: another set of attachments means parsing again."""
        if links != self.links:
            self.earlier.update(self.parsed)
            self.links, self.parsed, self.fronts = links, {}, {}

    def forget(self, paths: Iterable[Path], content: Path) -> None:
        """Drop what was read from these files (paths under `content`, content/ as the
        build spells it), e.g. ones a watcher saw change."""
        for path in map(os.fspath, paths):
            self.files.pop(path, None)
            if (name := _name_inside(path, content)) is not None:
                if (parsed := self.parsed.pop(name, None)) is not None:
                    self.earlier[name] = parsed
                self.fronts.pop(name, None)
                self.bodies.pop(name, None)

    def forget_theme(self) -> None:
        """New templates: every page is rendered again (parsed entries stay valid)."""
        self.theme = None

    def listing_after(self, saved: Collection[Path], content: Path) -> Listing | None:
        """content/ as it is after these saves, if they are all the changes under it since
        the last build (a watcher's report) and all of entry files saved, created or
        deleted; None when content/ must be listed again (a folder, an attachment)."""
        if self.listing is None:
            return None
        listing = dict(self.listing)
        for path in saved:
            change = _entry_change(path, content)
            if change is None or (not change[1] and change[0] not in listing):
                return None
            inside, present = change
            if present:
                listing[inside] = os.fspath(path)
            else:
                del listing[inside]
        return sorted(listing.items(), key=lambda item: item[0].split("/"))

    def finish(self) -> None:
        """After a build that succeeded: forget what it did not use (deleted entries)."""
        self.memo.sweep()

    def held(self) -> dict[Hashable, int]:
        """How many results each per-entry part holds (for tests: one per entry)."""
        return {"parsed": len(self.parsed), "linked": len(self.linked),
                "pages": len(self.pages.pages), **self.memo.kinds()}


def theme_print(theme: Theme) -> str:
    """A hash of the stamp of every file the theme's templates and static files come
    from (cache.stamp: an edit sets its ctime; not read, as the fingerprint does not),
    each named by where it really is, however the log's path was spelled."""
    from generator.theme import packaged_themes_dir

    digest = hashlib.sha256()
    folders = {d.parent for d in (*theme.template_dirs, *theme.static_dirs)}
    real = {os.path.realpath(folder): os.fspath(folder)
            for folder in (*folders, packaged_themes_dir() / "default")}
    for where, named in sorted(real.items()):
        hash_folder(digest.update, named, where)
    return digest.hexdigest()


def load_build_cache(root: Path, key: str, name: str = STATE_FILE, *,
                     unread: Path | None = None) -> BuildCache:
    """What the last public `growthlog build` (or, by `name`, `serve`) of this log left on
    disk, or a fresh cache when there is none or it cannot be trusted (damaged,
    half-written, another key, its two parts from different saves). `unread`: the output
    folder the build writes, whose pages stay there (BuildCache.unread). An entry's
    bodies are checked when first read: one damaged raises StateChanged then."""
    cache = new_build_cache(key, unread=unread)
    folder = root / CACHE_DIR
    # (Un)pickling the state makes objects by the hundred thousand, none of them garbage:
    # the collections that set off were a third of loading it (1,000 entries: 40-60 ms,
    # 29 ms without).
    with collector_off():
        loaded = records.load(folder, _records_name(name), key)
    if loaded is None or not all(map(_is_record, loaded.records.values())):
        return cache
    parsed: dict[str, Parsed] = {}
    bodies: dict[str, tuple[str, ...]] = {}
    known: dict[str, Known] = {}
    own: list[dict[Hashable, tuple[object, object]]] = []
    for path, record in loaded.records.items():
        assert isinstance(record, tuple)  # (_is_record)
        parsed[path], bodies[path], rendered, results = record
        known.update(rendered)
        own.append(results)
    head = _MAGIC + key.encode() + b"\n" + loaded.token.encode() + b"\n"
    try:  # read as it is unpickled: the file's bytes are never all in memory at once
        with open(folder / name, "rb") as file:
            if file.read(len(head)) != head:
                return cache
            with collector_off():
                state = _Unpickler(file, parsed).load()
    except Exception:  # noqa: BLE001 - missing, or damaged in any way: not trusted
        return cache
    if not _is_state(state):
        return cache
    cache.config, cache.links, cache.linked, cache.memo, cache.restored = state
    for results in own:
        cache.memo.hold(results)
    cache.parsed, cache.bodies, cache.markdown = parsed, bodies, MarkdownCache(known)
    cache.stored = loaded
    return cache


def new_build_cache(key: str, *, unread: Path | None = None) -> BuildCache:
    """The cache of a build with nothing from disk to trust, as load_build_cache gives it."""
    return BuildCache(markdown=MarkdownCache(),
                      pages=RenderCache(compiled_for=key, note_reads=True),
                      unread=os.fspath(unread.resolve()) if unread is not None else None)


def save_build_cache(root: Path, cache: BuildCache, key: str, name: str = STATE_FILE, *,
                     found: Mapping[str, os.stat_result | None] | None = None) -> None:
    """Keep the cache of a public build that succeeded for the next `growthlog build` (or,
    by `name`, the next `serve`): the records of entries that changed since it was
    loaded (records.py), and the rest whole. `found`: the output folder's files as
    cache.stat_files found them after the write (else each page is looked at here)."""
    renderer = cache.pages.renderer
    if renderer is None or cache.theme_print is None or cache.markdown is None:
        return
    pages: dict[str, tuple[PagePlan, Kept]] = dict(cache.pages.pages)
    folder = None
    if name == STATE_FILE and cache.output is not None:  # serve's preview: a folder of its own
        pages, folder = _kept_pages(cache.pages.pages, cache.output, found), \
            os.fspath(cache.output[0])
    used = cache.markdown.used()
    last = cache.stored
    rest, own = _own_results(cache.memo, cache.parsed)
    current: dict[str, object] = {}
    changed: list[str] = []
    for path, parsed in cache.parsed.items():
        bodies = cache.bodies.get(path, ())
        results = own.get(path, {})
        old = last.records.get(path) if last is not None else None
        # (The results compared in C: each is the one loaded, unless it was made again.)
        if isinstance(old, tuple) and old[0] is parsed and old[1] is bodies \
                and old[3] == results:
            current[path] = old
        else:
            current[path] = parsed, bodies, {d: _lean(used[d], parsed[1]) for d in bodies
                                             if d in used}, results
            changed.append(path)
    _drop_old_templates(root / CACHE_DIR / OLD_TEMPLATES_DIR)
    reducers: dict[type, records.Reducer] = dict.fromkeys((TagRef, Practices),
                                                          _reduce_shared({}))
    later = None
    # Bodies left in the base are read with os.pread from the base kept open: without it
    # (Windows, where an open file cannot be replaced either) entries are pickled whole.
    if hasattr(os, "pread"):
        reducers[Entry] = _reduce_entry
        later = lambda: {id(entry): _bodies(entry)  # noqa: E731
                         for _, entry, _ in cache.parsed.values() if entry is not None}
    try:
        stored = records.save(root / CACHE_DIR, _records_name(name), key, current, changed,
                              last, later=later, reducers=reducers)
    except StateChanged:  # bodies it would carry over damaged: the next build from nothing
        with contextlib.suppress(OSError):
            (root / CACHE_DIR / name).unlink()
        return
    if stored is None:
        return
    state = (cache.config, cache.links, cache.linked, rest,
             ((cache.theme_print, *renderer.key), pages, folder, cache.pages.reads))
    head = _MAGIC + key.encode() + b"\n" + stored.token.encode() + b"\n"
    entries = {id(entry): path for path, (_, entry, _) in cache.parsed.items()
               if entry is not None}

    def write(file: BinaryIO) -> None:  # pickled as written: never all in memory at once
        file.write(head)
        with collector_off():
            _Pickler(file, entries).dump(state)

    write_cache_file(root / CACHE_DIR / name, write)
    cache.stored = stored
    with contextlib.suppress(OSError):
        (root / CACHE_DIR / OLD_MARKDOWN_FILE).unlink()


def _lean(known: Known, entry: Entry | None) -> Known:
    """What a body rendered to, in an entry's record: without the HTML and words that are
    the entry's own bodies (kept once, and read only when asked for: _reduce_entry)."""
    if isinstance(known, list) and entry is not None and bodies_later(entry) is None \
            and len(known) == 6 and known[0] is entry.body_html \
            and known[1] is entry.body_text:
        return entry, [None, None, *known[2:]]
    return known


def _bodies(entry: Entry) -> tuple[str, ...] | records.Later:
    """What an entry's record leaves in the base's tail: its bodies, or where they are."""
    later = bodies_later(entry)
    return later if isinstance(later, records.Later) else \
        tuple(getattr(entry, body) for body in BODIES)


def _reduce_entry(entry: Entry, span: records.Span | None
                  ) -> tuple[Callable[..., object], tuple[object, ...]]:
    """An entry as parsed as its record in a base holds it: its bodies in the base's
    tail, read when first asked for (model.later_entry), not each time the base is loaded
    (at 1,000 entries, 12 of its 17 MB were bodies, and most builds show few of them
    again). Any other entry: whole."""
    if span is None:
        return entry.__reduce__()  # type: ignore[return-value]
    return later_entry, (tuple([getattr(entry, name) for name in LATER_FIELDS]), span)


def _reduce_shared(first: dict[object, object]) -> records.Reducer:
    """Values of which entries hold a few among many equal ones (a tag as an entry names
    it, its practices' checklist): each pickled once into a base, the others as that one
    (made once when loaded, not once per entry: 4,500 tags at 1,000 entries, a sixth of
    loading the records). `first`: the first of each value, for one base."""

    def reduce(value: Plain, span: records.Span | None
               ) -> tuple[Callable[..., object], tuple[object, ...]]:
        reduced = value.__reduce__()  # (its type, its fields): as a key too
        same = first.setdefault(reduced, value)
        if same is value:
            return reduced  # type: ignore[return-value]
        return operator.getitem, ((same,), 0)  # (a call in C: no function of ours each)

    return reduce


def _own_results(memo: Memo, parsed: dict[str, Parsed]
                 ) -> tuple[Memo, dict[str, dict[Hashable, tuple[object, object]]]]:
    """The memo's results that only one entry as parsed went into (its search record, its
    lessons' points: inputs that are an entry, or an entry and values that hold no other
    at the top), by the path of its record; and a memo of the others."""
    paths = {entry.source: path for path, (_, entry, _) in parsed.items() if entry is not None}
    rest = Memo()
    own: dict[str, dict[Hashable, tuple[object, object]]] = {}
    others: dict[Hashable, tuple[object, object]] = {}
    for key, held in memo.held().items():  # (3,000 at 1,000 entries: no call a key)
        path = paths.get(key[1]) if type(key) is tuple and len(key) == 2 else None
        inputs = held[0]
        if path is not None and (type(inputs) is Entry or (
                type(inputs) is tuple and inputs and type(inputs[0]) is Entry
                and Entry not in map(type, inputs[1:]))):
            if path in own:
                own[path][key] = held
            else:
                own[path] = {key: held}
        else:
            others[key] = held
    rest.hold(others)
    return rest, own


def _records_name(name: str) -> str:
    """Where the entries' records of a state file are (records.py): state.base, ..."""
    return name.removesuffix(".pickle")


class _Pickler(pickle.Pickler):
    """Pickles each entry as parsed as a reference to it by its path (its record,
    records.py, holds it). Through a dispatch table, which is asked for entries only: a
    persistent_id would be asked for every object (a third of the time at 5,000)."""

    def __init__(self, file: BinaryIO, entries: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._entries = entries
        self.dispatch_table = {**copyreg.dispatch_table, **_field_reducers(Plain),
                               Entry: self._entry}

    def _entry(self, entry: Entry) -> tuple[Callable[..., object], tuple[object, ...]]:
        path = self._entries.get(id(entry))
        if path is None:  # an entry of another version: pickled whole
            return entry.__reduce__()  # type: ignore[return-value]
        return _entry_ref, (path,)


def _field_reducers(base: type[Plain]
                    ) -> dict[type, Callable[[object], tuple[type, tuple[object, ...]]]]:
    """For each of base's subclasses (loaded so far) that Plain.__reduce__ pickles, the
    same reduce (its type and its fields) with the fields taken in C (value.fields_getter):
    the 2,300 page plans and infos of state.pickle at 1,000 entries, 4.3 -> 3.4 ms."""
    reducers: dict[type, Callable[[object], tuple[type, tuple[object, ...]]]] = {}
    kinds = base.__subclasses__()
    while kinds:
        kind = kinds.pop()
        kinds += kind.__subclasses__()
        if kind.__reduce__ is Plain.__reduce__:
            reducers[kind] = _fields_reducer(kind)
    return reducers


def _fields_reducer(kind: type[Plain]) -> Callable[[object], tuple[type, tuple[object, ...]]]:
    fields = fields_getter(kind.__slots__)  # (a dataclass's own: its fields, in order)
    return lambda value: (kind, fields(value))


def _entry_ref(path: str) -> Entry:
    """What a reference to an entry as parsed is pickled as; only _Unpickler makes one."""
    raise pickle.UnpicklingError(f"an entry as parsed ({path}) outside the build state")


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, parsed: dict[str, Parsed]) -> None:
        super().__init__(file)
        self._parsed = parsed

    def find_class(self, module: str, name: str) -> object:
        if module == __name__ and name == _entry_ref.__name__:
            return self._entry
        return super().find_class(module, name)

    def _entry(self, path: object) -> Entry:
        found = self._parsed.get(path) if isinstance(path, str) else None
        entry = found[1] if found is not None else None
        if entry is None:
            raise pickle.UnpicklingError("an entry the records do not hold")
        return entry


def _drop_old_templates(folder: Path) -> None:
    with contextlib.suppress(OSError):
        for old in folder.iterdir():
            if old.name.endswith(".cache"):
                old.unlink()
        folder.rmdir()


def _is_state(state: object) -> bool:
    types = (SiteConfig, LinkContext, dict, Memo, tuple)
    return isinstance(state, tuple) and len(state) == len(types) and all(
        isinstance(part, kind) for part, kind in zip(state, types, strict=True)) \
        and len(state[4]) == 4 and isinstance(state[4][0], tuple) \
        and isinstance(state[4][1], dict) and isinstance(state[4][2], str | None) \
        and isinstance(state[4][3], dict)


def _is_record(record: object) -> bool:
    """(an entry file as parsed, the digests of its bodies, what they rendered to, the
    memo's results of that entry alone)."""
    return isinstance(record, tuple) and len(record) == 4 and isinstance(record[0], tuple) \
        and len(record[0]) == 3 and isinstance(record[0][1], Entry | None) \
        and isinstance(record[1], tuple) and isinstance(record[2], dict) \
        and isinstance(record[3], dict)


def _kept_pages(pages: dict[str, tuple[PagePlan, bytes]], output: tuple[Path, Mapping[str, str]],
                found: Mapping[str, os.stat_result | None] | None
                ) -> dict[str, tuple[PagePlan, Kept]]:
    """Each page as the output folder holds it: its hash and stamp, not its bytes again
    (which were most of state.pickle); the bytes where the folder does not hold them.
    (A stat that followed a link is safe here: a page is read back only if it is no link.)"""
    folder, digests = output
    kept: dict[str, tuple[PagePlan, Kept]] = {}
    for path, (plan, data) in pages.items():
        digest = digests.get(path)
        there = found.get(path) if found is not None else _lstat(folder / path)
        size = data.size if type(data) is Unread else len(data)
        if digest is None or there is None or not stat.S_ISREG(there.st_mode) \
                or there.st_size != size:
            if type(data) is not Unread:  # (one not read is rendered again next time)
                kept[path] = plan, data
        else:
            kept[path] = plan, (digest, *file_stamp(there))
    return kept


def _lstat(path: Path | str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _read_pages(pages: dict[str, tuple[PagePlan, Kept]], folder: str | None, *,
                read: bool = True
                ) -> tuple[dict[str, tuple[PagePlan, bytes]], tuple[Path, OnDisk] | None]:
    """The pages from disk with their bytes, those the output folder holds read from it: a
    page whose file is not as the last build left it (its stamp differs: edited by hand,
    deleted) is dropped, so it is rendered and written again. `read` False: each is an
    Unread of its size, not looked at (the write finds one that changed: PagesChanged)."""
    found: dict[str, tuple[PagePlan, bytes]] = {}
    known: dict[str, tuple[bytes, str, Stamp]] = {}
    for path, (plan, data) in pages.items():
        if isinstance(data, bytes):
            found[path] = plan, data
            continue
        if folder is None:
            continue
        if not read:  # not looked at: the write checks its stamp before it links it
            found[path] = plan, Unread(data[1])
            known[path] = found[path][1], data[0], data[1:]
            continue
        content = read_stamped(os.path.join(folder, path), data[1:])
        if content is None:  # edited by hand or deleted: rendered and written again
            continue
        found[path] = plan, content
        known[path] = content, data[0], data[1:]
    return found, (Path(folder), known) if folder is not None else None


def _entry_change(path: Path, content: Path) -> tuple[str, bool] | None:
    """(name inside content/, whether it is there now) for an entry file; None otherwise."""
    name = _name_inside(os.fspath(path), content)
    if name is None:
        return None
    parts = name.split("/")
    if not is_entry_name(parts[-1]) or any(is_ignored_name(p) for p in parts):
        return None
    if os.path.realpath(path.parent) != os.fspath(path.parent) or os.path.islink(path):
        return None  # a symlinked folder or file: only listing content/ decides about them
    if path.is_file():
        return name, True
    return (name, False) if not os.path.lexists(path) else None


def _name_inside(path: str, content: Path) -> str | None:
    """A path's name inside content/ (POSIX: as the cache keys entry files), or None if
    it is not inside content/ as the build spells it (or is content/ itself)."""
    inside = os.path.join(content, "")
    if not path.startswith(inside) or len(path) == len(inside):
        return None
    return path[len(inside):].replace(os.sep, "/")
