"""`growthlog build` and `check`: config → sources → entries → site → pages → (seal) → output.

The steps up to the pages are pipeline.py's; this module runs them, seals the files of a
private build (views.py, audit.py) and writes them (output.py). Every file is read and
checked before anything is written: if any problem is an error, `build` raises
ProblemsFound with all of them and the previous output stays as it was. A BuildCache kept
between builds (by `serve`, build_cache.py; from disk for `growthlog build`) lets a rebuild
re-parse only files that changed and re-render only pages whose data changed; the result
equals a full build.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Collection
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from generator.build_cache import (
    BuildCache,
    load_build_cache,
    new_build_cache,
    save_build_cache,
)
from generator.cache import (
    Inputs,
    LastBuild,
    code_key,
    record_build,
    stat_files,
    unchanged_build,
)
from generator.clock import source_date as source_date  # imported from here too
from generator.clock import today as today  # imported from here too
from generator.config import SiteConfig, shared_origin_warnings
from generator.errors import GrowthlogError, Problem, StateChanged, raise_on_errors
from generator.meter import Tick
from generator.output import (
    MANIFEST,
    PagesChanged,
    Relinked,
    Unread,
    WriteReport,
    check_output_dir,
    copy_beside,
    path_problems,
    write_output,
)
from generator.parallel import Workers
from generator.pipeline import LoadedLog, load_log, site_files
from generator.render import OutputFile, RenderCache
from generator.report import BuildReport as BuildReport  # imported from here too
from generator.urls import Urls

if TYPE_CHECKING:  # a public build (and `check`, `actions`) never loads the crypto
    from generator.crypto import KeyBlob, SiteKeys
    from generator.keys import Reader
    from generator.private import OpaqueNames

ViewKeys = tuple[tuple["Reader", "SiteKeys"], ...]
Sealing = tuple["KeyBlob", "SiteKeys", "OpaqueNames", ViewKeys]


def build(root: Path, *, output: Path | None = None, drafts: bool = False,
          cache: BuildCache | None = None, seen: Collection[Path] | None = None,
          base_url: str | None = None, private: bool | None = None,
          password: str | None = None, use_cache: bool = False,
          progress: Tick | None = None, workers: Workers | None = None,
          only: Callable[[str], bool] | None = None,
          keep_old: bool = True, fingerprint: Inputs | None = None,
          copied: Callable[[], Relinked] | None = None) -> BuildReport:
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
    `fingerprint`: of the inputs, with growthlog's code key, as the caller's own
    `unchanged_build` (which found something changed) took them just before: not taken
    again (they look at every input file and every module of growthlog's).
    `copied`: the copy of the site beside the output folder the caller started with that
    fingerprint (output.copy_beside): waited for before the write, and on any way out;
    None with a fingerprint: the caller found none to start, and none is started here.
    """
    started = time.perf_counter()
    try:
        out_dir = output if output is not None else root / "output"
        check_output_dir(out_dir, root)
        last_build, inputs = (None, fingerprint) if use_cache and fingerprint is not None \
            else (unchanged_build(root, out_dir, drafts=drafts, base_url=base_url,
                                  private=private) if use_cache else (None, None))
        if last_build is not None:  # every input and output file as the last build left them
            return last_build
        print_, key = (inputs.fingerprint, inputs.key) if inputs is not None else (None, "")
        if print_ is None or cache is not None:
            return _build(root, out_dir, cache if cache is not None else BuildCache(), print_,
                          key, started, drafts=drafts, seen=seen, base_url=base_url,
                          private=private, password=password, progress=progress,
                          workers=workers, only=only, keep_old=keep_old, copied=copied,
                          listed=inputs)
        # A public build with work to do: nothing beside the site to update (after a build
        # from nothing) is copied there on a spare CPU while this process reads and renders.
        # A caller with a fingerprint asked already (none to copy, or no CPU spare: no copy).
        if copied is None and fingerprint is None and keep_old and only is None \
                and workers is not None:
            copied = copy_beside(out_dir, workers.spare)
        return _from_disk(root, out_dir, print_, key, started, drafts=drafts, seen=seen,
                          base_url=base_url, private=private, password=password,
                          progress=progress, workers=workers, only=only, keep_old=keep_old,
                          copied=copied, listed=inputs)
    finally:
        if copied is not None:
            copied()


def _from_disk(root: Path, out_dir: Path, print_: str, key: str, started: float, *,
               drafts: bool, seen: Collection[Path] | None, base_url: str | None,
               private: bool | None, password: str | None, progress: Tick | None,
               workers: Workers | None, only: Callable[[str], bool] | None, keep_old: bool,
               copied: Callable[[], Relinked] | None, listed: Inputs | None) -> BuildReport:
    """The build from the last one's state on disk."""
    thawed = not gc.get_freeze_count()
    try:
        loaded = load_build_cache(root, key, unread=out_dir)  # the last build's, from disk
        # What it holds (a million objects at 5,000 entries) lives through the build:
        # frozen, no collection looks through it again (a tenth of a one-edit build's time).
        gc.freeze()
        changed = 0  # PagesChanged comes twice at most: then no page is left unread;
        for _ in range(4):  # StateChanged once: a fresh cache reads no state and has no Unread
            try:
                return _build(root, out_dir, loaded, print_, key, started, drafts=drafts,
                              seen=seen, base_url=base_url, private=private,
                              password=password, progress=progress, workers=workers,
                              only=only, keep_old=keep_old, copied=copied, listed=listed)
            except PagesChanged as exc:  # rendered again; all not read, if it comes twice
                loaded.pages.pages = {path: held for path, held in loaded.pages.pages.items()
                                      if type(held[1]) is not Unread
                                      or (not changed and path not in exc.paths)}
                changed += 1
            except StateChanged:  # an entry's bodies it read damaged: from nothing, then
                loaded = new_build_cache(key, unread=out_dir)
        raise AssertionError("no page is left unread, no state to read")
    finally:
        if thawed:  # (serve keeps what it froze)
            gc.unfreeze()


def _build(root: Path, out_dir: Path, cache: BuildCache, print_: str | None, key: str,
           started: float, *, drafts: bool, seen: Collection[Path] | None,
           base_url: str | None, private: bool | None, password: str | None,
           progress: Tick | None, workers: Workers | None,
           only: Callable[[str], bool] | None, keep_old: bool,
           copied: Callable[[], Relinked] | None = None,
           listed: Inputs | None = None) -> BuildReport:
    """The build after the nothing-changed check: `print_`, the inputs' fingerprint to
    record with the cache (None: no cache on disk); `copied` waits for the copy of the
    site beside the output folder (output.copy_beside), before the write; `listed`: what
    the check took of the inputs (content/ as listed, each file's key)."""
    workers = workers if workers is not None else Workers()
    sealing: list[Sealing] = []
    log = load_log(root, drafts=drafts, cache=cache, seen=seen, progress=progress,  # config,
                   urls=lambda config: _site_urls(root, config, base_url, private,  # sources,
                                                  password, sealing),           # entries, site
                   workers=workers, only=only, listed=listed)
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
    relinked = copied() if copied is not None else None
    written = _write(files, out_dir, cache, keep=keep_old and not sealing,          # output
                     relinked=relinked)
    report = BuildReport(
        entries=len(log.site.entries), tags=len(log.site.tags), written=written.written,
        unchanged=written.unchanged, removed=written.removed, rendered=pages.rendered,
        seconds=time.perf_counter() - started, warnings=tuple(warnings),
        drafts=sum(e.draft for e in log.site.entries), processes=workers.used)
    cache.finish()
    if print_ is not None and not sealing and only is None:
        paths = [*(f.path for f in files), MANIFEST]
        fresh = stat_files(out_dir, [p for p in paths if p not in written.stats])
        found = {p: written.stats[p] if p in written.stats else fresh[p] for p in paths}
        save_build_cache(root, cache, key, found=found)
        record_build(root, print_, out_dir, found,
                     LastBuild(report.entries, report.tags, len(files), report.warnings,
                               report.drafts))
    return report


def _write(files: list[OutputFile], out_dir: Path, cache: BuildCache, *,
           keep: bool, relinked: Relinked | None = None) -> WriteReport:
    """Write, skipping files whose bytes this folder got last time from this cache;
    `keep`: keep the old site beside for the next build, `relinked`: pages linked beside
    since it (output.write_output)."""
    last, cache.written = cache.written, None
    again = last is not None and last[0] == out_dir
    on_disk = cache.on_disk
    # A folder this cache rebuilds again and again (serve's preview, which nobody deploys)
    # is written in place: cheaper. Any other build swaps in the whole new site.
    written = write_output(files, out_dir, last[1] if last and again else None,
                           swap=not again, keep=keep,
                           on_disk=on_disk[1] if on_disk and on_disk[0] == out_dir.resolve()
                           else None, relinked=relinked)
    cache.on_disk = None  # (kept for a build again after PagesChanged: the pages left unread)
    cache.written = out_dir, {f.path: f.data for f in files if type(f.data) is not Unread}
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


def check(root: Path, *, drafts: bool = True, workers: Workers | None = None) -> list[Problem]:
    """Validate config, entries and templates (by rendering in memory); write nothing.

    What the last `growthlog build` left in .growthlog-cache/ is read, never written: an
    entry file unchanged since is not parsed again, a page whose plan is unchanged not
    rendered again, a template not compiled again (the results are the same, build_cache.py).
    `workers`: how far parsing and rendering may be split across processes, as for build.
    """
    from generator.share_check import reader_names
    from generator.share_rules import share_problems

    key = code_key()
    try:
        log, files = _checked(root, load_build_cache(root, key), drafts, workers)
    except StateChanged:  # an entry's bodies it read damaged: checked from nothing, then
        log, files = _checked(root, new_build_cache(key), drafts, workers)
    problems = log.problems + [Problem("output", f"cannot write {why}")
                               for why in path_problems(f.path for f in files)]
    raise_on_errors(problems)
    readers = reader_names(root)
    if readers is not None:  # as a private build warns (_seal), for a log that is not one yet
        problems += share_problems(log.site.entries, log.config.readers, readers)
    return problems


def _checked(root: Path, cache: BuildCache, drafts: bool, workers: Workers | None
             ) -> tuple[LoadedLog, list[OutputFile]]:
    """The log and its files, as `check` renders them in memory (raises its errors)."""
    log = load_log(root, drafts=drafts, cache=cache, workers=workers)
    raise_on_errors(log.problems)
    return log, site_files(root, log, cache, cache.pages, public=False, workers=workers)
