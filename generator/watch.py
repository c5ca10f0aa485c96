"""Which saved files matter to `serve`, and what kind of rebuild each one asks for.

The watcher (watchfiles) reports batches of changes; `LogFilter` drops output folders,
dotfiles and editor swap/backup/temp files, and `classify` sorts the rest into content,
theme and config changes so the dev loop can rebuild incrementally or fully.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import watchfiles

from generator.config import CONFIG_NAME
from generator.errors import GrowthlogError
from generator.sources import SKIPPED_DIRS, is_ignored_name
from generator.theme import packaged_themes_dir
from generator.value import Value, frozen

log = logging.getLogger(__name__)


class Kind(enum.IntEnum):
    """What a change asks for, in increasing cost: the largest kind in a batch wins."""

    CONTENT = 1
    THEME = 2
    CONFIG = 3


@frozen
class ChangeSet(Value):
    """One batch of saves, sorted by what they touch."""

    content: frozenset[Path] = frozenset()
    theme: frozenset[Path] = frozenset()
    config: frozenset[Path] = frozenset()

    @property
    def kind(self) -> Kind | None:
        if self.config:
            return Kind.CONFIG
        if self.theme:
            return Kind.THEME
        return Kind.CONTENT if self.content else None

    @property
    def paths(self) -> frozenset[Path]:
        return self.content | self.theme | self.config

    def describe(self, root: Path) -> str:
        """'content/a.md' or 'content/a.md and 2 more' for the rebuild line."""
        names = sorted(_display(p, root) for p in self.paths)
        if not names:
            return "nothing"
        return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def is_editor_temp(name: str) -> bool:
    """Swap, backup, lock and temp files editors write next to the file being saved: the
    very names listing content/ leaves out (sources.is_ignored_name)."""
    return is_ignored_name(name)


def watched_roots(root: Path) -> list[Path]:
    """Folders to watch: the log itself and, in a source checkout, the packaged themes.

    The whole log folder is watched (not just content/ and themes/) so that creating or
    deleting those folders is seen too; LogFilter drops everything else.
    """
    roots = [root.resolve()]
    try:
        shipped = packaged_themes_dir().resolve()
    except GrowthlogError:  # a broken install is reported by the build instead
        return roots
    installed = Path(__file__).resolve().parent in shipped.parents
    if not installed and not shipped.is_relative_to(roots[0]):
        roots.append(shipped)
    return roots


class LogFilter(watchfiles.DefaultFilter):
    """Let through growthlog.toml, content/ and themes/ files; never editor temp files."""

    def __init__(self, root: Path, extra_themes: Iterable[Path] = ()) -> None:
        super().__init__()
        self.root = root.resolve()
        self.themes = tuple(p.resolve() for p in extra_themes)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return classify_path(Path(path), self.root, self.themes) is not None


def classify_path(path: Path, root: Path, themes: tuple[Path, ...] = ()) -> Kind | None:
    """Content, theme or config; None for anything serve does not care about."""
    for base, kind in [(root, None), *((t, Kind.THEME) for t in themes)]:
        try:
            parts = path.relative_to(base).parts
        except ValueError:
            continue
        if not parts:
            return None
        if any(is_editor_temp(p) or p in SKIPPED_DIRS for p in parts):
            return None
        if kind is not None:
            return kind
        if parts == (CONFIG_NAME,):
            return Kind.CONFIG
        if parts[0] == "content":
            # Listing content/ never enters a symlinked folder: what changes in one is
            # not part of the log (and may be anywhere on the disk).
            inside_link = os.path.realpath(path.parent) != os.fspath(path.parent)
            return None if inside_link else Kind.CONTENT
        if parts[0] == "themes":
            return Kind.THEME
        return None
    return None


def classify(paths: Iterable[Path], root: Path, themes: tuple[Path, ...] = ()) -> ChangeSet:
    """Sort changed paths into a ChangeSet; irrelevant paths are dropped."""
    found: dict[Kind, set[Path]] = {kind: set() for kind in Kind}
    for path in paths:
        kind = classify_path(path, root, themes)
        if kind is not None:
            found[kind].add(path)
    return ChangeSet(frozenset(found[Kind.CONTENT]), frozenset(found[Kind.THEME]),
                     frozenset(found[Kind.CONFIG]))


def watch_changes(root: Path, stop: threading.Event, *, step_ms: int = 10,
                  debounce_ms: int = 1600) -> Iterator[ChangeSet]:
    """Yield a ChangeSet per burst of saves until `stop` is set.

    watchfiles coalesces a burst (it waits for `step_ms` of quiet, at most `debounce_ms`),
    so an editor's write-temp-then-rename save arrives as one batch. Such a save takes well
    under a millisecond, so 10 ms of quiet is enough, and it is part of every save's delay.
    """
    root = root.resolve()
    roots = watched_roots(root)
    themes = tuple(roots[1:])
    for batch in watchfiles.watch(*roots, watch_filter=LogFilter(root, themes), stop_event=stop,
                                  step=step_ms, debounce=debounce_ms, raise_interrupt=False,
                                  yield_on_timeout=False):
        changes = classify((Path(p) for _, p in batch), root, themes)
        if changes.kind is not None:
            yield changes


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
