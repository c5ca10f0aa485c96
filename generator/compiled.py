"""Jinja's compiled templates, kept per user: a log never built starts with its theme compiled.

Compiling the default theme's 18 templates takes about 0.1 s of CPU: a third of a cold
build of 100 entries, and of a `check` of a log never built. As Jinja's own default does
(a folder per user in the temp folder) and Hugo (a cache folder per user), a public
build, `check` and `serve` keep them in $XDG_CACHE_HOME/growthlog/templates
(~/.cache/growthlog/templates), one file per template file, named by

* growthlog's code key (cache.code_key: its code, which holds the Jinja settings and
  extensions that shape the compiled code, and its libraries' versions, Jinja's among
  them: another growthlog never reads these files), and
* a hash of the template's name and path (Jinja's own key: a template's errors name
  its file, so a copy elsewhere is compiled for its own path);

each file holds a hash of the template's source, which Jinja compares before using it.

What it holds is compiled template code, nothing else: the shipped themes' templates,
and those of a log's own theme (code the author wrote for their theme, and its path),
never an entry, a config value or a page. A private build neither reads nor writes it;
nor does `build --no-cache`. A file that is damaged, half-written (each is written under
a temporary name, then renamed), from another growthlog, or in a folder that another user
owns or may write to, is not used: the template is compiled again. When this growthlog
writes a file, it keeps those of the three other growthlogs (other versions, an edited
checkout) that wrote last and removes the rest: the folder holds at most four sets of
about 0.3 MB.
"""

from __future__ import annotations

import contextlib
import os
import stat
import types
from pathlib import Path

import jinja2
import jinja2.bccache

FOLDER = ("growthlog", "templates")
"""Inside the user's cache folder."""
OTHERS = 3
"""Other growthlogs whose compiled templates are kept (those that wrote last)."""


def user_cache_dir() -> Path | None:
    """$XDG_CACHE_HOME/growthlog/templates, else ~/.cache/growthlog/templates; None where
    there is no home folder to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        try:
            base = os.path.join(Path.home(), ".cache")
        except (RuntimeError, KeyError):
            return None
    return Path(base).joinpath(*FOLDER)


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """The compiled templates of this user's folder (module doc) for growthlog's code `key`;
    reading and writing them never fails a build: at worst a template is compiled again."""

    def __init__(self, key: str) -> None:
        self.folder = user_cache_dir()
        self.prefix = key[:32]
        self.usable = self.folder is not None and _own_folder(self.folder)
        self.pruned = False
        """Whether the other growthlogs' templates were pruned (once: not at each dump)."""
        super().__init__(os.fspath(self.folder or "."), f"{self.prefix}-%s.cache")

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.usable:
            return
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - damaged: compiled again
            bucket.reset()
        if bucket.code is not None and not isinstance(bucket.code, types.CodeType):
            bucket.reset()  # unmarshalled to something that is not code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if not self.usable:
            return
        with contextlib.suppress(OSError):  # a full disk, a folder gone: compiled next time
            super().dump_bytecode(bucket)
            if not self.pruned:
                self._drop_others()
                self.pruned = True

    def _drop_others(self) -> None:
        """Remove the compiled templates of all but the OTHERS other growthlogs (code
        keys) that wrote last."""
        assert self.folder is not None
        written: dict[str, float] = {}
        files: list[tuple[str, str]] = []
        for old in os.scandir(self.folder):
            key = old.name[:len(self.prefix)]
            if key != self.prefix and old.name.endswith(".cache") \
                    and old.is_file(follow_symlinks=False):
                mtime = old.stat(follow_symlinks=False).st_mtime
                written[key] = max(written.get(key, mtime), mtime)
                files.append((key, old.path))
        kept = sorted(written, key=written.__getitem__, reverse=True)[:OTHERS]
        for key, path in files:
            if key not in kept:
                with contextlib.suppress(OSError):
                    os.unlink(path)


def _own_folder(folder: Path) -> bool:
    """Make the folder (only its owner may enter it); True when it is this user's own and
    no one else may write to it, so that no one else can put code there to be run."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return False
    uid = getattr(os, "getuid", None)  # (none on Windows, whose home folder is the user's)
    return stat.S_ISDIR(info.st_mode) and (uid is None or info.st_uid == uid()) \
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
