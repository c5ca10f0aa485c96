"""Readers' views of a private build: for each reader, a whole growthlog site built from
the entries shared with them only (share_rules.py), sealed under keys and opaque names
derived from their view key, and written into the same folder as the author's site.

Nothing a view holds is computed from entries outside it: its entries are chosen before
links between entries are resolved, and its site (home, timeline, tags, lessons, progress,
search) is organised from them alone. Its home is the opaque name of '' under the view's
slug key, which the unlock page computes from the key that opened (unlock.js).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from generator.audit import Leak, Needle, audit_view, entry_needles, entry_texts, withheld_needles
from generator.build_cache import BuildCache
from generator.clock import today
from generator.config import SiteConfig
from generator.crypto import KeyBlob, SiteKeys, Slot
from generator.errors import GrowthlogError
from generator.keys import Reader
from generator.model import Entry
from generator.pipeline import LoadedLog, load_log, site_files
from generator.private import OpaqueNames, encrypt_site
from generator.render import OutputFile, RenderCache
from generator.share_rules import as_shared, rules_for, shared_with, view_entries
from generator.site import build_site
from generator.theme import load_theme
from generator.urls import Urls
from generator.value import Value, frozen


@frozen
class View(Value):
    """One reader's site: what it shows (plain, before sealing) and what is published."""

    name: str
    keys: SiteKeys
    entries: tuple[Entry, ...]
    plain: tuple[OutputFile, ...]
    """The files as the reader's browser decrypts them (logical content, opaque paths)."""
    files: tuple[OutputFile, ...]
    """Sealed, ready to publish (no robots.txt or runtime file: the author's site has them)."""
    names: OpaqueNames


def view_home(keys: SiteKeys) -> str:
    """The path of a view's home page inside the site (unlock.js computes the same)."""
    return OpaqueNames(keys.slug, kept=frozenset())("")


def build_view(root: Path, config: SiteConfig, reader: Reader, keys: SiteKeys, *,
               blob: KeyBlob, slots: Sequence[Slot], base_url: str) -> View:
    names = OpaqueNames(keys.slug, kept=frozenset())
    urls = Urls(base_url, rename=names)
    rules = rules_for(config.readers, reader.name)
    view_config = replace(config, private=True)
    cache = BuildCache()
    log = load_log(root, drafts=False, cache=cache, urls=lambda _: urls,
                   select=lambda entries: view_entries(entries, rules))
    log = replace(log, config=view_config)
    cache.use_config(view_config)
    cache.theme = load_theme(root, view_config)
    pages = RenderCache()  # its own renderer: only a view's entry pages offer Reply
    pages.renderer_for(cache.theme, urls, view_config).env.globals["reply_to"] = config.reply_to
    plain = site_files(root, log, cache, pages, public=False)
    sealed = encrypt_site(plain, keys=keys, blob=blob, names=names, config=view_config,
                          base_url=base_url, rerandomize=config.rerandomize, slots=slots,
                          folder_files=False)
    return View(reader.name, keys, log.site.entries, tuple(plain), tuple(sealed), names)


def build_views(root: Path, log: LoadedLog, views: Iterable[tuple[Reader, SiteKeys]], *,
                blob: KeyBlob, base_url: str) -> list[View]:
    pairs = list(views)
    slots = [reader.slot for reader, _ in pairs]
    return [build_view(root, log.config, reader, keys, blob=blob, slots=slots,
                       base_url=base_url) for reader, keys in pairs]


def merge(files: Sequence[OutputFile], views: Iterable[View]) -> list[OutputFile]:
    """The author's files and every view's in one folder; a name two sites share (a chance
    of about 2**-80 per pair) stops the build rather than overwrite one with the other."""
    merged = list(files)
    seen = {f.path for f in merged}
    for view in views:
        for item in view.files:
            if item.path in seen:
                raise GrowthlogError(f"two sites of this build would publish {item.path}; "
                                     f"give reader {view.name} a new key (`growthlog reader "
                                     f"remove {view.name}`, then `reader add {view.name}`)")
            seen.add(item.path)
            merged.append(item)
    return merged


def _withheld(entries: Iterable[Entry], config: SiteConfig, name: str) -> list[Needle]:
    """Needles of the author's entries a view leaves out, and of the fields it hides."""
    rules = rules_for(config.readers, name)
    needles: list[Needle] = []
    for entry in entries:
        every = list(entry_needles(entry))
        if not shared_with(entry, rules):
            needles += every
            continue
        kept = {n.text for n in entry_needles(as_shared(entry, rules.hide))}
        needles += [n for n in every if n.text not in kept]
    return needles


def baseline(root: Path, config: SiteConfig, base_url: str) -> list[bytes]:
    """The pages of a site with no entries: what growthlog says whatever the log holds."""
    view_config = replace(config, private=True)
    urls = Urls(base_url)
    empty = LoadedLog(view_config, build_site([], view_config, as_of=today()), (), [], urls)
    return [f.data for f in site_files(root, empty, BuildCache(), RenderCache(), public=False)]


def audit_views(root: Path, log: LoadedLog, views: Iterable[View], base_url: str) -> list[Leak]:
    """Each view against every entry and field it must not show, in what its reader's
    browser decrypts (the plain files, before sealing)."""
    views = list(views)
    if not views:
        return []
    said = baseline(root, log.config, base_url)
    leaks: list[Leak] = []
    for view in views:
        withheld = _withheld(log.site.entries, log.config, view.name)
        shown = [text for e in view.entries for text in entry_texts(e)]
        needles = withheld_needles(withheld, shown, said)
        leaks += audit_view(view.name, {f.path: f.data for f in view.plain}, needles)
    return leaks
