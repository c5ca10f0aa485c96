"""The steps of the pipeline: config → sources → entries → site → pages, as data.

`load_log` reads and checks the config and every entry and organises them into a Site;
`site_files` renders every output file of it. `growthlog build` (build.py) runs them,
then seals (private mode) and writes; `check`, `actions`, a reader's view (views.py) and
the audit use them too. A BuildCache (build_cache.py) lets them re-parse only files that
changed and re-render only pages whose data changed; the result equals a full run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build_cache import BuildCache, FileKey, Listing, Parsed
from generator.cache import Inputs, Known
from generator.clock import today
from generator.config import SiteConfig, load_config
from generator.entry_links import resolve_entry_links
from generator.errors import Problem, Severity, raise_on_errors
from generator.markup import LinkContext, Markdown, RenderMarkdown
from generator.meter import Tick
from generator.model import Entry, Site
from generator.parallel import ENTRY_WEIGHT, Workers
from generator.redirects import redirect_pages
from generator.render import OutputFile, RenderCache, load_rendering, plan_pages, render_site
from generator.sources import (
    attachments,
    is_entry_name,
    links_inside,
    read_source,
    scan_content,
    unreadable_problem,
)
from generator.urls import FEED_PATH, SEARCH_INDEX_PATH, Urls, media_path, static_path
from generator.value import Value, frozen

if TYPE_CHECKING:  # the validator loads only when an entry is parsed, Jinja when a page
    from generator.entries import Front  # is rendered (render.load_rendering)
    from generator.theme import Theme


@frozen
class Sources(Value):
    """content/ as listed: every file, the attachments to publish, and what was said."""

    listing: Listing
    assets: tuple[str, ...]
    problems: list[Problem]
    watched: bool = False
    """The listing follows from a watcher's report: only the files it named changed."""
    keys: dict[str, tuple[int, int, int]] | None = None
    """Each content file's key, when the listing is the nothing-changed check's (Inputs)."""


@frozen
class LoadedLog(Value):
    """The log read and organised: config, site, attachments, problems."""

    config: SiteConfig
    site: Site
    assets: tuple[str, ...]
    """Attachments to publish: all but those that only left-out drafts refer to."""
    problems: list[Problem]
    urls: Urls = field(default_factory=Urls)
    """The hrefs entry bodies were rendered with; render the rest of the site with them."""


def load_log(root: Path, *, drafts: bool = False, cache: BuildCache | None = None,
             seen: Collection[Path] | None = None,
             urls: Callable[[SiteConfig], Urls] | None = None,
             progress: Tick | None = None,
             select: Callable[[list[Entry]], list[Entry]] | None = None,
             workers: Workers | None = None,
             only: Callable[[str], bool] | None = None,
             listed: Inputs | None = None) -> LoadedLog:
    """Read and validate config and every entry; organise them into a Site.

    `urls` gives the hrefs (base URL, private names) entry bodies link attachments with;
    it is asked only when the config has no errors. Default: the config's base URL.
    `progress` is told of each entry read (meter.Tick).
    `select`: the entries to keep of those parsed (a reader's view, views.py).
    `only`: the site is for the pages at the output paths it holds true for (serve's
    first page): only the bodies of entries those pages show are rendered; the others
    wait in the cache for the next load (the Site holds them with empty bodies, and
    their problems but for their bodies' warnings).
    `listed`: content/ as the nothing-changed check just listed it, with each file's key
    (cache.unchanged_build): not listed and looked at again.
    """
    cache = cache if cache is not None else BuildCache()
    config, problems = load_config(root)
    site_urls = Urls(config.base_url) if urls is None or any(p.is_error for p in problems) \
        else urls(config)
    cache.use_config(config)
    sources = read_sources(root, cache, seen, listed)
    bodies: set[str] | None = set() if only is not None else None
    while True:
        entries, more = read_entries(root, sources, config, site_urls, cache, progress,
                                     workers, bodies, sources.keys)
        if select is not None:  # a reader's view: only its entries, before links resolve
            entries = select(entries)
        entries, linked = resolve_entry_links(entries, drafts=drafts, cache=cache.linked,
                                              href=site_urls.href)
        from generator.site import build_site

        site = build_site(entries, config, drafts=drafts, as_of=today(), memo=cache.memo)
        if bodies is None or only is None:
            break
        # What the site holds and where does not depend on any body: once every entry
        # those pages show has its body, they are what a full load gives them.
        shown = _shown(site, config, site_urls, only, cache)
        if shown is not None and shown <= bodies:
            break
        bodies = shown | bodies if shown is not None else None
    example = [Problem(f"content/{e.source}", "is the example `growthlog init` wrote; now "
                       "that the log has entries of your own it is left out (delete it when "
                       "you like)", severity=Severity.WARNING)
               for e in entries if e.example and e not in site.entries]
    shown = {a for e in site.entries for a in e.attachments}
    hidden = {a for e in entries for a in e.attachments} - shown
    return LoadedLog(config, site, tuple(a for a in sources.assets if a not in hidden),
                     problems + sources.problems + more + linked + example, site_urls)


def read_sources(root: Path, cache: BuildCache, seen: Collection[Path] | None,
                 listed: Inputs | None = None) -> Sources:
    """content/: listed again, or (when a watcher saw only entry files change) as the
    cache had it with those changes, or as `listed` (load_log) has it."""
    if seen is not None:
        cache.forget(seen, root / "content")
    listing = cache.listing_after(seen, root / "content") if seen is not None else None
    watched = listing is not None
    keys = None
    if seen is None and listed is not None:
        listing, keys = listed.content, listed.keys
        cache.outside, cache.unreadable = listed.outside, ()  # (it found none unreadable)
    elif listing is None:
        outside: list[str] = []
        unreadable: list[tuple[str, str]] = []
        listing = scan_content(root / "content", outside, unreadable)
        cache.outside, cache.unreadable = tuple(outside), tuple(unreadable)
    cache.listing = listing
    problems = [Problem(f"content/{inside}", "is a link to something outside content/; it is "
                        "not read or published (copy the file into content/ instead)",
                        severity=Severity.WARNING) for inside in cache.outside]
    problems += [unreadable_problem(inside, why) for inside, why in cache.unreadable]
    assets, withheld = attachments(listing)
    return Sources(listing, assets, problems + withheld, watched, keys)


def _load_later() -> None:
    """What the steps after parsing take (the site's figures, rendering, the search index,
    the feed: 15-20 ms of imports), loaded in the parent while other processes parse."""
    import generator.feed
    import generator.search_index
    import generator.site  # noqa: F401

    load_rendering()


def _shown(site: Site, config: SiteConfig, urls: Urls, only: Callable[[str], bool],
           cache: BuildCache) -> set[str] | None:
    """The sources of the entries the pages `only` selects show (None: cannot tell)."""
    shown: set[str] = set()
    for plan in plan_pages(site, config, cache.memo):
        if only(urls.output_path(plan.info.path)) and not _entries_in(plan.context, shown):
            return None
    return shown


def _entries_in(value: object, found: set[str]) -> bool:
    """Add the source of every entry `value` holds to `found`; False if it holds
    something that cannot be looked into (which may hold an entry)."""
    if value is None or isinstance(value, str | int | float | dt.date):
        return True
    if type(value) is Entry:
        found.add(value.source)
        return True
    if isinstance(value, list | tuple | set | frozenset):
        return all(_entries_in(item, found) for item in value)
    if isinstance(value, dict):
        return all(_entries_in(key, found) and _entries_in(item, found)
                   for key, item in value.items())
    fields = getattr(type(value), "__dataclass_fields__", None)
    return fields is not None and all(_entries_in(getattr(value, name), found)
                                      for name in fields)


def read_entries(root: Path, sources: Sources, config: SiteConfig, urls: Urls,
                 cache: BuildCache, progress: Tick | None = None,
                 workers: Workers | None = None, bodies: Collection[str] | None = None,
                 keys: Mapping[str, FileKey] | None = None
                 ) -> tuple[list[Entry], list[Problem]]:
    """Every entry file parsed (or, unchanged on disk, as the cache parsed it) and its
    problems. A listing from a watcher's report needs no look at unchanged files: the
    report already dropped every changed one from the cache (a 1,000-entry log: ~8 ms).
    The files to parse are split across processes as `workers` allows.
    `bodies`: render only these entries' bodies (by source inside content/); the others
    come with theirs empty, their front matter read kept in the cache (`fronts`) for a
    later call to render them from. `keys`: each file's key as just taken (else each is
    looked at here)."""
    links = LinkContext("", frozenset(sources.assets), urls)
    cache.use_links(links)
    markdown = cache.markdown
    render = markdown.render if markdown is not None else Markdown()  # one per build
    # The cache knows each file by its name inside content/ (`name`), never by its path
    # on disk (`path`), which is as the command line spelled the log (build_cache.py).
    files = [(name, path) for name, path in sources.listing if is_entry_name(name)]
    fronts = cache.fronts
    found: dict[str, Parsed] = {}
    waiting: dict[str, Front] = {}
    """Read but for their bodies, which are not asked for yet."""
    todo: list[tuple[str, str, FileKey]] = []
    for name, path in files:
        cached = cache.parsed.get(name)
        if cached is None or not sources.watched:
            key = keys.get(path) if keys is not None else None
            try:
                key = key if key is not None else _file_key(path)
            except OSError:  # deleted between listing and reading (an editor's atomic save)
                continue
            if cached is None or cached[0] != key:
                held = fronts.get(name)
                if held is not None and held[0] == key and bodies is not None \
                        and held[1].entry.source not in bodies:
                    waiting[name] = held[1]
                else:
                    todo.append((name, path, key))
                continue
        found[name] = cached

    slugs: dict[str, str] = {}  # tags slugified in this call (in each process)

    def parse(item: tuple[str, str, FileKey]) -> _ParsedFile:
        name, path, key = item
        held = fronts.get(name)
        front: Front | None
        said: list[Problem] = []
        if held is not None and held[0] == key:
            front = held[1]
        else:
            front, said = _front(root, Path(path), config, links, slugs)
        if front is None:
            return None, None, said, (), []
        if bodies is not None and front.entry.source not in bodies:
            return None, front, [], (), []
        asked = len(markdown.asked) if markdown is not None else 0
        entry, said = _finish(front, links, render, config.unsafe_html)
        if markdown is None:
            return entry, None, said, (), []
        digests = tuple(markdown.asked[asked:])
        return entry, None, said, digests, markdown.known(digests)

    def tick(done: int) -> None:
        if progress is not None:
            progress("Reading entries", len(found) + done, len(found) + len(todo))

    if todo:  # here, not in each process `map` may fork (its imports take a while)
        import generator.entries  # noqa: F401
    # Reading front matter alone is a fraction of parsing an entry: each counts once, not
    # ENTRY_WEIGHT times (two processes took 1.0-1.3x one's wall below 400 entries, 0.7x
    # at 1,000).
    # What the later steps take is loaded meanwhile: other processes parse more entries.
    results = (workers if workers is not None else Workers()).map(
        parse, todo, tick, weight=ENTRY_WEIGHT if bodies is None else 1,
        alongside=_load_later if bodies is None else None)
    for (name, _, key), (entry, front, said, digests, known) in zip(todo, results,
                                                                     strict=True):
        if front is not None:
            fronts[name] = key, front
            waiting[name] = front
            continue
        earlier = cache.parsed.get(name) or cache.earlier.get(name)
        if entry is not None and earlier is not None and earlier[1] == entry:
            entry = earlier[1]  # equal: one object for the memo, the pages, the state
        found[name] = (key, entry, said)
        if markdown is not None:
            cache.bodies[name] = digests
            markdown.adopt(digests, known)
    entries: list[Entry] = []
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    digested: dict[str, tuple[str, ...]] = {}
    for name, _ in files:
        if name in waiting:
            front = waiting[name]
            problems += [*front.before, *front.after]
            entries.append(front.entry)
            continue
        if name not in found:
            continue
        if markdown is not None:  # its bodies stay in the Markdown cache
            digested[name] = cache.bodies.get(name, ())
            markdown.keep(digested[name])
        parsed[name] = cached = found[name]
        problems += cached[2]
        if cached[1] is not None:
            entries.append(cached[1])
    # An entry read but for its body is parsed later (serve's first pages, then the rest):
    # what it parsed to before stays in `earlier` until then.
    kept = {name: prior for name in waiting
            if (prior := cache.parsed.get(name) or cache.earlier.get(name)) is not None}
    cache.parsed, cache.bodies, cache.earlier = parsed, digested, kept
    cache.fronts = {name: fronts[name] for name in waiting}
    return entries, problems


_ParsedFile = tuple[Entry | None, "Front | None", list[Problem], tuple[str, ...],
                    list[Known]]
"""An entry file parsed (in this process or another): its Entry, or what was read of it
but for its body (not asked for); its problems; and the digests and results of the
Markdown bodies it rendered (for the Markdown cache)."""


def _front(root: Path, path: Path, config: SiteConfig, links: LinkContext,
           slugs: dict[str, str]) -> tuple[Front | None, list[Problem]]:
    """An entry file read but for its body, and its problems but for the body's."""
    display = path.relative_to(root).as_posix()
    source, problems = read_source(path, display)
    if source is None:
        return None, problems
    from generator.entries import read_front, source_dir  # the validator: only to parse

    front, more = read_front(source, config, LinkContext(source_dir(display), links.assets,
                                                         links.urls), slugs)
    if front is not None and problems:
        front = replace(front, before=(*problems, *front.before))
    return front, problems + more


def _finish(front: Front, links: LinkContext, render: RenderMarkdown,
            unsafe_html: bool) -> tuple[Entry, list[Problem]]:
    """The entry with its body rendered, and every problem of its file."""
    from generator.entries import finish_entry, source_dir

    here = LinkContext(source_dir(front.path), links.assets, links.urls)
    return finish_entry(front, here, render, unsafe_html=unsafe_html)


def site_files(root: Path, log: LoadedLog, cache: BuildCache, pages: RenderCache, *,
               public: bool = True, progress: Tick | None = None,
               workers: Workers | None = None,
               only: Callable[[str], bool] | None = None) -> list[OutputFile]:
    """Every output file: rendered pages, theme static files, attachments, data files,
    and (public mode only) redirects from old addresses; `only`: those at the output
    paths it holds true for (the others are neither rendered nor read)."""
    urls = log.urls
    from generator.theme import load_theme

    theme = cache.theme if cache.theme is not None else \
        cache.use_theme(load_theme(root, log.config), urls, log.config)
    plans = plan_pages(log.site, log.config, cache.memo)
    if only is not None:
        plans = [plan for plan in plans if only(urls.output_path(plan.info.path))]
    # The data files need no page: made while other processes render (parallel.py).
    made: list[OutputFile] = []
    files = render_site(plans, theme, urls, log.config, pages, progress, workers,
                        None if only is not None else
                        lambda: made.extend(data_files(log, urls, cache)))
    files += [OutputFile(urls.output_path(static_path(name)), data)
              for name, data in _static_files(theme, cache).items()]
    unreadable: list[Problem] = []
    for asset in log.assets:
        if only is not None and not only(urls.output_path(media_path(asset))):
            continue
        try:
            data = _read_cached(root / "content" / asset, cache)
        except OSError as exc:  # unreadable, or deleted since content/ was listed
            unreadable.append(Problem(f"content/{asset}", f"cannot be read ({exc.strerror}); "
                                      "fix its permissions, or build again if it was just "
                                      "moved or deleted"))
            continue
        files.append(OutputFile(urls.output_path(media_path(asset)), data))
    raise_on_errors(log.problems + unreadable)
    if only is not None:
        return [f for f in files if only(f.path)]
    files += made
    if public:  # a page at a readable path names the entry: old addresses only in public
        files += redirect_pages(log.site.entries, urls, {f.path for f in files},
                                log.config.language)
    return files


def data_files(log: LoadedLog, urls: Urls, cache: BuildCache | None = None) -> list[OutputFile]:
    """The search index (fetched by static/search.js) and, in public mode only, the feed."""
    from generator.feed import build_feed
    from generator.search_index import build_search_index

    files = [OutputFile(urls.output_path(SEARCH_INDEX_PATH), build_search_index(
        log.site.entries, urls, cache.memo if cache is not None else None))]
    if not log.config.private:
        files.append(OutputFile(urls.output_path(FEED_PATH),
                                build_feed(log.site.entries, log.config,
                                           cache.memo if cache is not None else None)))
    return files


def _static_files(theme: Theme, cache: BuildCache) -> dict[str, bytes]:
    """Theme static files; a file in a more specific theme folder wins."""
    found: dict[str, bytes] = {}
    for folder in theme.static_dirs:
        real = os.path.realpath(folder)
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in found and not path.name.startswith(".") \
                    and _stays_in(path, folder, real):
                found[name] = _read_cached(path, cache)
    return dict(sorted(found.items()))


def _stays_in(path: Path, folder: Path, real_folder: str) -> bool:
    """False for a file reached through a link that leads out of its folder (as in content/)."""
    inside = os.path.join(real_folder, os.fspath(path.relative_to(folder)))
    return os.path.realpath(path) == inside or links_inside(os.fspath(path), real_folder)


def _read_cached(path: Path, cache: BuildCache) -> bytes:
    key = _file_key(path)
    cached = cache.files.get(os.fspath(path))
    if cached is None or cached[0] != key:
        cached = (key, path.read_bytes())
        cache.files[os.fspath(path)] = cached
    return cached[1]


def _file_key(path: Path | str) -> FileKey:
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size
