"""The pipeline: config → sources → entries → site → pages → output, in one readable place.

Every file is read and checked before anything is written: if any problem is an error,
`build` raises ProblemsFound with all of them and the previous output stays as it was.
A BuildState kept between builds (by `serve`) lets a rebuild re-parse only files that
changed and re-render only pages whose data changed; the result equals a full build.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.cache import LastBuild, MarkdownCache, code_key, record_build, unchanged_build
from generator.clock import source_date as source_date  # imported from here too
from generator.clock import today as today  # imported from here too
from generator.config import SiteConfig, load_config, shared_origin_warnings
from generator.entries import parse_entry, source_dir
from generator.entry_links import LinkCache, resolve_entry_links
from generator.errors import GrowthlogError, Problem, Severity, raise_on_errors
from generator.feed import build_feed
from generator.markup import LinkContext, RenderMarkdown, render_markdown
from generator.meter import Tick
from generator.model import Entry, Site
from generator.output import MANIFEST, WriteReport, check_output_dir, path_problems, write_output
from generator.redirects import redirect_pages
from generator.render import OutputFile, RenderCache, plan_pages, render_site
from generator.report import BuildReport as BuildReport  # imported from here too
from generator.search_index import build_search_index
from generator.site import build_site
from generator.sources import (
    attachments,
    is_entry_name,
    is_ignored_name,
    links_inside,
    read_source,
    scan_content,
    unreadable_problem,
)
from generator.theme import Theme, load_theme
from generator.urls import FEED_PATH, SEARCH_INDEX_PATH, Urls, media_path, static_path

if TYPE_CHECKING:  # a public build (and `check`, `actions`) never loads the crypto
    from generator.crypto import KeyBlob, SiteKeys
    from generator.private import OpaqueNames

FileKey = tuple[int, int]  # (mtime_ns, size): a file whose key is unchanged is not re-read


@dataclass
class BuildState:
    """What a rebuild may reuse from the previous build of the same log."""

    config: SiteConfig | None = None
    links: LinkContext | None = None
    parsed: dict[str, tuple[FileKey, Entry | None, list[Problem]]] = field(default_factory=dict)
    """By path on disk (a str: serve looks up every entry on every save)."""
    files: dict[str, tuple[FileKey, bytes]] = field(default_factory=dict)
    theme: Theme | None = None
    render: RenderCache = field(default_factory=RenderCache)
    written: tuple[Path, dict[str, bytes]] | None = None
    """The folder last written completely and what it got: unchanged bytes skip hashing."""
    listing: list[tuple[str, str]] | None = None
    """content/ as last listed: (name inside content/, path on disk)."""
    outside: tuple[str, ...] = ()
    """Names inside content/ of links that lead out of it, as last listed (never read)."""
    unreadable: tuple[tuple[str, str], ...] = ()
    """Names inside content/ that could not be listed or followed, with the reason."""
    linked: LinkCache = field(default_factory=dict)
    """Entries with links to other entries, as last resolved (entry_links.py)."""
    listing_current: bool = False
    """Set by `saw_entry_saves` for the next build only: it may use `listing` as it is and
    reuse parsed entries without looking at their files (a 1,000-entry log: ~8 ms)."""

    def forget(self, paths: Iterable[Path]) -> None:
        """Drop what was cached for these files, e.g. ones a watcher saw change."""
        for path in map(os.fspath, paths):
            self.parsed.pop(path, None)
            self.files.pop(path, None)

    def saw_entry_saves(self, paths: Collection[Path], content: Path) -> None:
        """A watcher reports every change under content/ since the last build, and these
        are all: the next build looks only at them. Anything but entry files saved,
        created or deleted (a folder, an attachment) makes it list content/ again."""
        self.forget(paths)
        if self.listing is None:
            return
        listing = dict(self.listing)
        for path in paths:
            change = _entry_change(path, content)
            if change is None or (not change[1] and change[0] not in listing):
                return
            inside, present = change
            if present:
                listing[inside] = os.fspath(path)
            else:
                del listing[inside]
        self.listing = sorted(listing.items(), key=lambda item: item[0].split("/"))
        self.listing_current = True


def _entry_change(path: Path, content: Path) -> tuple[str, bool] | None:
    """(name inside content/, whether it is there now) for an entry file; None otherwise."""
    try:
        parts = path.relative_to(content).parts
    except ValueError:
        return None
    if not parts or not is_entry_name(parts[-1]) or any(is_ignored_name(p) for p in parts):
        return None
    if os.path.realpath(path.parent) != os.fspath(path.parent) or os.path.islink(path):
        return None  # a symlinked folder or file: only listing content/ decides about them
    if path.is_file():
        return "/".join(parts), True
    return ("/".join(parts), False) if not os.path.lexists(path) else None


@dataclass(frozen=True, slots=True)
class LoadedLog:
    config: SiteConfig
    site: Site
    assets: tuple[str, ...]
    """Attachments to publish: all but those that only left-out drafts refer to."""
    problems: list[Problem]
    urls: Urls = field(default_factory=Urls)
    """The hrefs entry bodies were rendered with; render the rest of the site with them."""


def load_log(root: Path, *, drafts: bool = False, state: BuildState | None = None,
             urls: Callable[[SiteConfig], Urls] | None = None,
             render: RenderMarkdown = render_markdown,
             progress: Tick | None = None) -> LoadedLog:
    """Read and validate config and every entry; organise them into a Site.

    `urls` gives the hrefs (base URL, private names) entry bodies link attachments with;
    it is asked only when the config has no errors. Default: the config's base URL.
    `render`: Markdown → HTML (the build cache's, or render_markdown).
    `progress` is told of each entry read (meter.Tick).
    """
    state = state if state is not None else BuildState()
    config, problems = load_config(root)
    if urls is None or any(p.is_error for p in problems):
        site_urls = Urls(config.base_url)
    else:
        site_urls = urls(config)
    if config != state.config:
        state.config, state.parsed, state.theme = config, {}, None
    listing = state.listing if state.listing_current else None
    state.listing_current = False
    trusted = listing is not None  # by a watcher: only the files it reported need a look
    if listing is None:
        outside: list[str] = []
        unreadable: list[tuple[str, str]] = []
        listing = scan_content(root / "content", outside, unreadable)
        state.outside, state.unreadable = tuple(outside), tuple(unreadable)
    files = state.listing = listing
    problems += [Problem(f"content/{inside}", "is a link to something outside content/; it is "
                         "not read or published (copy the file into content/ instead)",
                         severity=Severity.WARNING) for inside in state.outside]
    problems += [unreadable_problem(inside, why) for inside, why in state.unreadable]
    assets, withheld = attachments(files)
    problems += withheld
    links = LinkContext("", frozenset(assets), site_urls)
    if links != state.links:
        state.links, state.parsed = links, {}
    entries: list[Entry] = []
    parsed: dict[str, tuple[FileKey, Entry | None, list[Problem]]] = {}
    sources = [path for inside, path in files if is_entry_name(inside)]
    for done, path in enumerate(sources, 1):
        if progress is not None:
            progress("Reading entries", done, len(sources))
        cached = state.parsed.get(path)
        if cached is None or not trusted:
            try:
                key = _file_key(path)
            except OSError:  # deleted between listing and reading (an editor's atomic save)
                continue
            if cached is None or cached[0] != key:
                cached = (key, *_parse(root, Path(path), config, links, render))
        parsed[path] = cached
        problems += cached[2]
        if cached[1] is not None:
            entries.append(cached[1])
    state.parsed = parsed
    entries, linked = resolve_entry_links(entries, drafts=drafts, cache=state.linked,
                                          href=site_urls.href)
    problems += linked
    site = build_site(entries, config, drafts=drafts, as_of=today())
    problems += [Problem(f"content/{e.source}", "is the example `growthlog init` wrote; now "
                         "that the log has entries of your own it is left out (delete it when "
                         "you like)", severity=Severity.WARNING)
                 for e in entries if e.example and e not in site.entries]
    shown = {a for e in site.entries for a in e.attachments}
    hidden = {a for e in entries for a in e.attachments} - shown
    return LoadedLog(config, site, tuple(a for a in assets if a not in hidden), problems,
                     site_urls)


def _parse(root: Path, path: Path, config: SiteConfig, links: LinkContext,
           render: RenderMarkdown) -> tuple[Entry | None, list[Problem]]:
    display = path.relative_to(root).as_posix()
    source, problems = read_source(path, display)
    if source is None:
        return None, problems
    here = LinkContext(source_dir(display), links.assets, links.urls)
    entry, more = parse_entry(source, config, here, render)
    return entry, problems + more


def render_log(root: Path, log: LoadedLog, state: BuildState, urls: Urls,
               progress: Tick | None = None) -> list[OutputFile]:
    """Every output file: rendered pages, theme static files, attachments."""
    if state.theme is None:
        state.theme = load_theme(root, log.config)
    files = render_site(plan_pages(log.site, log.config), state.theme, urls, log.config,
                        state.render, progress)
    files += [OutputFile(urls.output_path(static_path(name)), data)
              for name, data in _static_files(state.theme, state).items()]
    unreadable: list[Problem] = []
    for asset in log.assets:
        try:
            data = _read_cached(root / "content" / asset, state)
        except OSError as exc:  # unreadable, or deleted since content/ was listed
            unreadable.append(Problem(f"content/{asset}", f"cannot be read ({exc.strerror}); "
                                      "fix its permissions, or build again if it was just "
                                      "moved or deleted"))
            continue
        files.append(OutputFile(urls.output_path(media_path(asset)), data))
    raise_on_errors(log.problems + unreadable)
    files += data_files(log, urls)
    return files


def data_files(log: LoadedLog, urls: Urls) -> list[OutputFile]:
    """The search index (fetched by static/search.js) and, in public mode only, the feed."""
    files = [OutputFile(urls.output_path(SEARCH_INDEX_PATH),
                        build_search_index(log.site.entries, urls.href))]
    if not log.config.private:
        files.append(OutputFile(urls.output_path(FEED_PATH),
                                build_feed(log.site.entries, log.config)))
    return files


def build(root: Path, *, output: Path | None = None, drafts: bool = False,
          state: BuildState | None = None, base_url: str | None = None,
          private: bool | None = None, password: str | None = None,
          use_cache: bool = False, progress: Tick | None = None) -> BuildReport:
    """Build the log at root into output (default root/output).

    Private mode (`private`, else the config's) needs the passphrase of the log's keyfile.
    `use_cache`: a public build reads and updates root/.growthlog-cache (cache.py).
    `progress` hears of each entry read and page rendered (the command line's meter).
    """
    started = time.perf_counter()
    state = state if state is not None else BuildState()
    out_dir = output if output is not None else root / "output"
    check_output_dir(out_dir, root)
    last_build, print_ = (unchanged_build(root, out_dir, drafts=drafts, base_url=base_url,
                                          private=private) if use_cache else (None, None))
    if last_build is not None:  # every input and output file as the last build left them
        return last_build
    markdown = MarkdownCache.load(root, code_key()) if print_ is not None else None
    sealing: list[tuple[KeyBlob, SiteKeys, OpaqueNames]] = []

    def site_urls(config: SiteConfig) -> Urls:
        base = base_url if base_url is not None else config.base_url
        if not (config.private if private is None else private):
            return Urls(base)
        sealing.append(_unlock(root, password))
        return Urls(base, rename=sealing[-1][2])

    log = load_log(root, drafts=drafts, state=state, urls=site_urls,
                   render=markdown.render if markdown else render_markdown, progress=progress)
    raise_on_errors(log.problems)
    warnings = list(log.problems)
    if sealing:
        files, rendered = _private_files(root, log, state, *sealing[-1][:2], progress)
        base = log.urls.base_url
        if not log.config.private or base != log.config.base_url:  # else the config warned
            warnings += shared_origin_warnings(log.config, base)
    else:
        files, rendered = render_log(root, log, state, log.urls, progress), state.render
        # Old addresses only in public mode: a page at a readable path names the entry.
        files += redirect_pages(log.site.entries, log.urls, {f.path for f in files},
                                log.config.language)
    last, state.written = state.written, None
    written: WriteReport = write_output(files, out_dir, last[1] if last and last[0] == out_dir
                                        else None)
    state.written = out_dir, {f.path: f.data for f in files}
    report = BuildReport(
        entries=len(log.site.entries), tags=len(log.site.tags), written=written.written,
        unchanged=written.unchanged, removed=written.removed, rendered=rendered.rendered,
        seconds=time.perf_counter() - started, warnings=tuple(warnings),
        drafts=sum(e.draft for e in log.site.entries))
    if markdown is not None and print_ is not None and not sealing:
        markdown.save(root)
        record_build(root, print_, out_dir, [*(f.path for f in files), MANIFEST],
                     LastBuild(report.entries, report.tags, len(files), report.warnings,
                               report.drafts))
    return report


def _unlock(root: Path, password: str | None) -> tuple[KeyBlob, SiteKeys, OpaqueNames]:
    """Open the keyfile before any entry is rendered (a wrong passphrase stops here):
    entry bodies link attachments by their opaque names."""
    from generator.keys import unlock
    from generator.private import OpaqueNames

    if password is None:
        raise GrowthlogError("a private build needs the passphrase: set GROWTHLOG_PASSWORD, "
                             "use --password-stdin, or run in a terminal to be asked")
    blob, keys = unlock(root, password)
    return blob, keys, OpaqueNames(keys.slug)


def _private_files(root: Path, log: LoadedLog, state: BuildState, blob: KeyBlob,
                   keys: SiteKeys, progress: Tick | None = None
                   ) -> tuple[list[OutputFile], RenderCache]:
    """Render with opaque names, seal every file, and audit the result: nothing is
    written unless all of it passes."""
    from generator.audit import audit_files, raise_on_leaks, site_needles
    from generator.private import OpaqueNames, encrypt_site, shell_parts

    names = log.urls.rename
    assert isinstance(names, OpaqueNames)
    if not log.config.private:  # --private: the theme must know, e.g. to link no feed
        log = replace(log, config=replace(log.config, private=True))
    cache = RenderCache()  # opaque names: never share rendered pages with a public build
    files = render_log(root, log, replace(state, render=cache), log.urls, progress)
    files = encrypt_site(files, keys=keys, blob=blob, names=names, config=log.config,
                         base_url=log.urls.base_url, rerandomize=log.config.rerandomize)
    raise_on_leaks(audit_files({f.path: f.data for f in files},
                               site_needles(log.site, log.config), shell_parts(), keys))
    return files, cache


def check(root: Path, *, drafts: bool = True) -> list[Problem]:
    """Validate config, entries and templates (by rendering in memory); write nothing."""
    state = BuildState()
    log = load_log(root, drafts=drafts, state=state)
    raise_on_errors(log.problems)
    files = render_log(root, log, state, log.urls)
    problems = log.problems + [Problem("output", f"cannot write {why}")
                               for why in path_problems(f.path for f in files)]
    raise_on_errors(problems)
    return problems


def _static_files(theme: Theme, state: BuildState) -> dict[str, bytes]:
    """Theme static files; a file in a more specific theme folder wins."""
    found: dict[str, bytes] = {}
    for folder in theme.static_dirs:
        real = os.path.realpath(folder)
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and name not in found and not path.name.startswith(".") \
                    and _stays_in(path, folder, real):
                found[name] = _read_cached(path, state)
    return dict(sorted(found.items()))


def _stays_in(path: Path, folder: Path, real_folder: str) -> bool:
    """False for a file reached through a link that leads out of its folder (as in content/)."""
    inside = os.path.join(real_folder, os.fspath(path.relative_to(folder)))
    return os.path.realpath(path) == inside or links_inside(os.fspath(path), real_folder)


def _read_cached(path: Path, state: BuildState) -> bytes:
    key = _file_key(path)
    cached = state.files.get(os.fspath(path))
    if cached is None or cached[0] != key:
        cached = (key, path.read_bytes())
        state.files[os.fspath(path)] = cached
    return cached[1]


def _file_key(path: Path | str) -> FileKey:
    stat = os.stat(path)
    return stat.st_mtime_ns, stat.st_size
