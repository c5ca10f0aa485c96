"""The pipeline: config → sources → entries → site → pages → (seal) → output, in one place.

Every file is read and checked before anything is written: if any problem is an error,
`build` raises ProblemsFound with all of them and the previous output stays as it was.
A BuildCache kept between builds (by `serve`, build_cache.py) lets a rebuild re-parse
only files that changed and re-render only pages whose data changed; the result equals
a full build.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build_cache import (
    BuildCache,
    FileKey,
    Listing,
    Parsed,
    load_build_cache,
    save_build_cache,
)
from generator.cache import LastBuild, code_key, record_build, unchanged_build
from generator.clock import source_date as source_date  # imported from here too
from generator.clock import today as today  # imported from here too
from generator.config import SiteConfig, load_config, shared_origin_warnings
from generator.entry_links import resolve_entry_links
from generator.errors import GrowthlogError, Problem, Severity, raise_on_errors
from generator.feed import build_feed
from generator.markup import LinkContext, Markdown, RenderMarkdown
from generator.meter import Tick
from generator.model import Entry, Site
from generator.output import MANIFEST, WriteReport, check_output_dir, path_problems, write_output
from generator.parallel import Workers
from generator.redirects import redirect_pages
from generator.render import OutputFile, RenderCache, plan_pages, render_site
from generator.report import BuildReport as BuildReport  # imported from here too
from generator.search_index import build_search_index
from generator.site import build_site
from generator.sources import (
    attachments,
    is_entry_name,
    links_inside,
    read_source,
    scan_content,
    unreadable_problem,
)
from generator.theme import Theme, load_theme
from generator.urls import FEED_PATH, SEARCH_INDEX_PATH, Urls, media_path, static_path

if TYPE_CHECKING:  # a public build (and `check`, `actions`) never loads the crypto
    from generator.crypto import KeyBlob, SiteKeys
    from generator.keys import Reader
    from generator.private import OpaqueNames

ViewKeys = tuple[tuple["Reader", "SiteKeys"], ...]
Sealing = tuple["KeyBlob", "SiteKeys", "OpaqueNames", ViewKeys]


@dataclass(frozen=True, slots=True)
class Sources:
    """content/ as listed: every file, the attachments to publish, and what was said."""

    listing: Listing
    assets: tuple[str, ...]
    problems: list[Problem]
    watched: bool = False
    """The listing follows from a watcher's report: only the files it named changed."""


@dataclass(frozen=True, slots=True)
class LoadedLog:
    config: SiteConfig
    site: Site
    assets: tuple[str, ...]
    """Attachments to publish: all but those that only left-out drafts refer to."""
    problems: list[Problem]
    urls: Urls = field(default_factory=Urls)
    """The hrefs entry bodies were rendered with; render the rest of the site with them."""


def build(root: Path, *, output: Path | None = None, drafts: bool = False,
          cache: BuildCache | None = None, seen: Collection[Path] | None = None,
          base_url: str | None = None, private: bool | None = None,
          password: str | None = None, use_cache: bool = False,
          progress: Tick | None = None, workers: Workers | None = None,
          only: Callable[[str], bool] | None = None,
          keep_old: bool = True, fingerprint: str | None = None) -> BuildReport:
    """Build the log at root into output (default root/output).

    `cache`: what the last build of this log left (serve keeps one); `seen`: every change
    under content/ since that build, as a watcher reported it (None: look at everything).
    Private mode (`private`, else the config's) needs the passphrase of the log's keyfile.
    `use_cache`: a public build reads and updates root/.growthlog-cache (cache.py).
    `progress` hears of each entry read and page rendered (the command line's meter).
    `workers`: how far parsing and rendering may be split across processes (parallel.py).
    `only`: render and write only the output paths it holds true for (serve's first page,
    put in place before the rest of the site; a build of the rest must follow).
    `keep_old`: a public build keeps the old site beside the output folder for the next
    build to update (output.py); never a private one, which leaves no plaintext there.
    `fingerprint`: of the inputs, as the caller's own `unchanged_build` (which found
    something changed) took it just before: not taken again (it reads every input file).
    """
    started = time.perf_counter()
    out_dir = output if output is not None else root / "output"
    check_output_dir(out_dir, root)
    last_build, print_ = (None, fingerprint) if use_cache and fingerprint is not None else \
        (unchanged_build(root, out_dir, drafts=drafts, base_url=base_url, private=private)
         if use_cache else (None, None))
    if last_build is not None:  # every input and output file as the last build left them
        return last_build
    key = code_key() if print_ is not None else ""
    if print_ is not None and cache is None:  # the last `growthlog build`'s, from disk
        cache = load_build_cache(root, key)
    cache = cache if cache is not None else BuildCache()
    workers = workers if workers is not None else Workers()
    sealing: list[Sealing] = []
    log = load_log(root, drafts=drafts, cache=cache, seen=seen, progress=progress,  # config,
                   urls=lambda config: _site_urls(root, config, base_url, private,  # sources,
                                                  password, sealing),           # entries, site
                   workers=workers)
    raise_on_errors(log.problems)
    warnings = log.problems + _origin_warnings(log, sealing)
    if sealing and not log.config.private:  # --private: the theme must know (no feed link)
        log = replace(log, config=replace(log.config, private=True))
    # Opaque names: never share rendered pages with a public build.
    pages = RenderCache(compiled=cache.pages.compiled) if sealing else cache.pages
    files = site_files(root, log, cache, pages, public=not sealing, progress=progress,  # pages
                       workers=workers, only=only)
    if sealing:
        files, shared = _seal(root, log, files, *sealing[-1])                        # (seal)
        warnings += shared
    written = _write(files, out_dir, cache, keep=keep_old and not sealing)          # output
    report = BuildReport(
        entries=len(log.site.entries), tags=len(log.site.tags), written=written.written,
        unchanged=written.unchanged, removed=written.removed, rendered=pages.rendered,
        seconds=time.perf_counter() - started, warnings=tuple(warnings),
        drafts=sum(e.draft for e in log.site.entries), processes=workers.used)
    cache.finish()
    if print_ is not None and not sealing and only is None:
        save_build_cache(root, cache, key)
        record_build(root, print_, out_dir, [*(f.path for f in files), MANIFEST],
                     LastBuild(report.entries, report.tags, len(files), report.warnings,
                               report.drafts))
    return report


def load_log(root: Path, *, drafts: bool = False, cache: BuildCache | None = None,
             seen: Collection[Path] | None = None,
             urls: Callable[[SiteConfig], Urls] | None = None,
             progress: Tick | None = None,
             select: Callable[[list[Entry]], list[Entry]] | None = None,
             workers: Workers | None = None) -> LoadedLog:
    """Read and validate config and every entry; organise them into a Site.

    `urls` gives the hrefs (base URL, private names) entry bodies link attachments with;
    it is asked only when the config has no errors. Default: the config's base URL.
    `progress` is told of each entry read (meter.Tick).
    `select`: the entries to keep of those parsed (a reader's view, views.py).
    """
    cache = cache if cache is not None else BuildCache()
    config, problems = load_config(root)
    site_urls = Urls(config.base_url) if urls is None or any(p.is_error for p in problems) \
        else urls(config)
    cache.use_config(config)
    sources = read_sources(root, cache, seen)
    entries, more = read_entries(root, sources, config, site_urls, cache, progress, workers)
    if select is not None:  # a reader's view: only its entries, before links resolve
        entries = select(entries)
    entries, linked = resolve_entry_links(entries, drafts=drafts, cache=cache.linked,
                                          href=site_urls.href)
    site = build_site(entries, config, drafts=drafts, as_of=today(), memo=cache.memo)
    example = [Problem(f"content/{e.source}", "is the example `growthlog init` wrote; now "
                       "that the log has entries of your own it is left out (delete it when "
                       "you like)", severity=Severity.WARNING)
               for e in entries if e.example and e not in site.entries]
    shown = {a for e in site.entries for a in e.attachments}
    hidden = {a for e in entries for a in e.attachments} - shown
    return LoadedLog(config, site, tuple(a for a in sources.assets if a not in hidden),
                     problems + sources.problems + more + linked + example, site_urls)


def read_sources(root: Path, cache: BuildCache, seen: Collection[Path] | None) -> Sources:
    """content/: listed again, or (when a watcher saw only entry files change) as the
    cache had it with those changes."""
    if seen is not None:
        cache.forget(seen)
    listing = cache.listing_after(seen, root / "content") if seen is not None else None
    watched = listing is not None
    if listing is None:
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
    return Sources(listing, assets, problems + withheld, watched)


def read_entries(root: Path, sources: Sources, config: SiteConfig, urls: Urls,
                 cache: BuildCache, progress: Tick | None = None,
                 workers: Workers | None = None) -> tuple[list[Entry], list[Problem]]:
    """Every entry file parsed (or, unchanged on disk, as the cache parsed it) and its
    problems. A listing from a watcher's report needs no look at unchanged files: the
    report already dropped every changed one from the cache (a 1,000-entry log: ~8 ms).
    The files to parse are split across processes as `workers` allows."""
    links = LinkContext("", frozenset(sources.assets), urls)
    cache.use_links(links)
    markdown = cache.markdown
    render = markdown.render if markdown is not None else Markdown()  # one per build
    paths = [path for inside, path in sources.listing if is_entry_name(inside)]
    found: dict[str, Parsed] = {}
    todo: list[tuple[str, FileKey]] = []
    for path in paths:
        cached = cache.parsed.get(path)
        if cached is None or not sources.watched:
            try:
                key = _file_key(path)
            except OSError:  # deleted between listing and reading (an editor's atomic save)
                continue
            if cached is None or cached[0] != key:
                todo.append((path, key))
                continue
        found[path] = cached

    def parse(item: tuple[str, FileKey]) -> _ParsedFile:
        asked = len(markdown.asked) if markdown is not None else 0
        entry, said = _parse(root, Path(item[0]), config, links, render)
        if markdown is None:
            return entry, said, (), []
        digests = tuple(markdown.asked[asked:])
        return entry, said, digests, markdown.known(digests)

    def tick(done: int) -> None:
        if progress is not None:
            progress("Reading entries", len(found) + done, len(found) + len(todo))

    if todo:  # here, not in each process `map` may fork (pydantic takes ~0.1 s to load)
        import generator.entries  # noqa: F401
    results = (workers if workers is not None else Workers()).map(parse, todo, tick)
    for (path, key), (entry, said, digests, known) in zip(todo, results, strict=True):
        found[path] = (key, entry, said)
        if markdown is not None:
            cache.bodies[path] = digests
            markdown.adopt(digests, known)
    entries: list[Entry] = []
    problems: list[Problem] = []
    parsed: dict[str, Parsed] = {}
    bodies: dict[str, tuple[str, ...]] = {}
    for path in paths:
        if path not in found:
            continue
        if markdown is not None:  # its bodies stay in the Markdown cache
            bodies[path] = cache.bodies.get(path, ())
            markdown.keep(bodies[path])
        parsed[path] = cached = found[path]
        problems += cached[2]
        if cached[1] is not None:
            entries.append(cached[1])
    cache.parsed, cache.bodies = parsed, bodies
    return entries, problems


_ParsedFile = tuple[Entry | None, list[Problem], tuple[str, ...], list[list[object]]]
"""An entry file parsed (in this process or another): its Entry, problems, and the
digests and results of the Markdown bodies it rendered (for the Markdown cache)."""


def _parse(root: Path, path: Path, config: SiteConfig, links: LinkContext,
           render: RenderMarkdown) -> tuple[Entry | None, list[Problem]]:
    display = path.relative_to(root).as_posix()
    source, problems = read_source(path, display)
    if source is None:
        return None, problems
    from generator.entries import parse_entry, source_dir  # with pydantic: only to parse

    here = LinkContext(source_dir(display), links.assets, links.urls)
    entry, more = parse_entry(source, config, here, render)
    return entry, problems + more


def site_files(root: Path, log: LoadedLog, cache: BuildCache, pages: RenderCache, *,
               public: bool = True, progress: Tick | None = None,
               workers: Workers | None = None,
               only: Callable[[str], bool] | None = None) -> list[OutputFile]:
    """Every output file: rendered pages, theme static files, attachments, data files,
    and (public mode only) redirects from old addresses; `only`: those at the output
    paths it holds true for (the others are neither rendered nor read)."""
    urls = log.urls
    theme = cache.theme if cache.theme is not None else \
        cache.use_theme(load_theme(root, log.config), urls, log.config)
    plans = plan_pages(log.site, log.config, cache.memo)
    if only is not None:
        plans = [plan for plan in plans if only(urls.output_path(plan.info.path))]
    files = render_site(plans, theme, urls, log.config, pages, progress, workers)
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
    files += data_files(log, urls, cache)
    if public:  # a page at a readable path names the entry: old addresses only in public
        files += redirect_pages(log.site.entries, urls, {f.path for f in files},
                                log.config.language)
    return files


def data_files(log: LoadedLog, urls: Urls, cache: BuildCache | None = None) -> list[OutputFile]:
    """The search index (fetched by static/search.js) and, in public mode only, the feed."""
    files = [OutputFile(urls.output_path(SEARCH_INDEX_PATH), build_search_index(
        log.site.entries, urls, cache.memo if cache is not None else None))]
    if not log.config.private:
        files.append(OutputFile(urls.output_path(FEED_PATH),
                                build_feed(log.site.entries, log.config,
                                           cache.memo if cache is not None else None)))
    return files


def _write(files: list[OutputFile], out_dir: Path, cache: BuildCache, *,
           keep: bool) -> WriteReport:
    """Write, skipping files whose bytes this folder got last time from this cache;
    `keep`: keep the old site beside for the next build (output.write_output)."""
    last, cache.written = cache.written, None
    again = last is not None and last[0] == out_dir
    on_disk, cache.on_disk = cache.on_disk, None
    # A folder this cache rebuilds again and again (serve's preview, which nobody deploys)
    # is written in place: cheaper. Any other build swaps in the whole new site.
    written = write_output(files, out_dir, last[1] if last and again else None,
                           swap=not again, keep=keep,
                           on_disk=on_disk[1] if on_disk and on_disk[0] == out_dir.resolve()
                           else None)
    cache.written = out_dir, {f.path: f.data for f in files}
    cache.output = out_dir.resolve(), written.digests
    return written


def _site_urls(root: Path, config: SiteConfig, base_url: str | None, private: bool | None,
               password: str | None, sealing: list[Sealing]) -> Urls:
    """The hrefs of this build: opaque names (the keyfile unlocked) for a private one."""
    base = base_url if base_url is not None else config.base_url
    if not (config.private if private is None else private):
        return Urls(base)
    sealing.append(_unlock(root, password))
    return Urls(base, rename=sealing[-1][2])


def _origin_warnings(log: LoadedLog, sealing: list[Sealing]) -> list[Problem]:
    base = log.urls.base_url
    if sealing and (not log.config.private or base != log.config.base_url):
        return shared_origin_warnings(log.config, base)  # else the config itself warned
    return []


def _unlock(root: Path, password: str | None) -> Sealing:
    """Open the keyfile before any entry is rendered (a wrong passphrase stops here):
    entry bodies link attachments by their opaque names. Also every reader's view keys."""
    from generator.keys import unlock_views
    from generator.private import OpaqueNames

    if password is None:
        raise GrowthlogError("a private build needs the passphrase: set GROWTHLOG_PASSWORD, "
                             "use --password-stdin, or run in a terminal to be asked")
    blob, keys, views = unlock_views(root, password)
    return blob, keys, OpaqueNames(keys.slug), views


def _seal(root: Path, log: LoadedLog, files: list[OutputFile], blob: KeyBlob, keys: SiteKeys,
          names: OpaqueNames, views: ViewKeys) -> tuple[list[OutputFile], list[Problem]]:
    """Seal every file (the author's site and each reader's view, views.py) and audit the
    result: nothing is written unless all of it passes."""
    from generator.audit import check_files, raise_on_leaks, site_needles
    from generator.private import encrypt_site, shell_parts
    from generator.share_rules import share_problems
    from generator.views import audit_views, build_views, merge

    files = encrypt_site(files, keys=keys, blob=blob, names=names, config=log.config,
                         base_url=log.urls.base_url, rerandomize=log.config.rerandomize,
                         slots=[reader.slot for reader, _ in views])
    built = build_views(root, log, views, blob=blob, base_url=log.urls.base_url)
    raise_on_leaks(audit_views(root, log, built, log.urls.base_url))
    files = merge(files, built)
    # Every file verified first; then only needles that can show in what is left are made.
    site = check_files({f.path: f.data for f in files}, shell_parts(),
                       [keys, *(view.keys for view in built)])
    raise_on_leaks(site.leaks(site_needles(log.site, log.config, keep=site.may_show)))
    return files, share_problems(log.site.entries, log.config.readers,
                                 [r.name for r, _ in views])


def check(root: Path, *, drafts: bool = True) -> list[Problem]:
    """Validate config, entries and templates (by rendering in memory); write nothing.

    What the last `growthlog build` left in .growthlog-cache/ is read, never written: an
    entry file unchanged since is not parsed again, a page whose plan is unchanged not
    rendered again, a template not compiled again (the results are the same, build_cache.py).
    """
    from generator.share_check import reader_names
    from generator.share_rules import share_problems

    cache = load_build_cache(root, code_key())
    log = load_log(root, drafts=drafts, cache=cache)
    raise_on_errors(log.problems)
    files = site_files(root, log, cache, cache.pages, public=False)
    problems = log.problems + [Problem("output", f"cannot write {why}")
                               for why in path_problems(f.path for f in files)]
    raise_on_errors(problems)
    readers = reader_names(root)
    if readers is not None:  # as a private build warns (_seal), for a log that is not one yet
        problems += share_problems(log.site.entries, log.config.readers, readers)
    return problems


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
