"""Writing a file at a path the author named on the command line (`actions --ics FILE`).

growthlog replaces only a file it wrote itself (`ours` recognises it), never anything
inside content/, unless told to with --force; and every failure names the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from generator.errors import GrowthlogError

HEAD_BYTES = 4096
"""How much of an existing file `ours` is shown."""


def write_named_file(path: Path, data: bytes, *, root: Path, ours: Callable[[bytes], bool],
                     what: str, force: bool = False) -> None:
    """Write `data` to `path` atomically (a temp file beside it, then a rename).

    Refused without `force`: a path inside ROOT/content/ (compared resolved, so a link
    does not get around it), and an existing regular file `ours` does not recognise.
    A device or pipe (/dev/stdout) is written in place: renaming over it would replace it.
    """
    shown = os.fspath(path)
    content = (root / "content").resolve()
    target = path.resolve()
    if not force and (target == content or target.is_relative_to(content)):
        raise GrowthlogError(f"{shown}: is inside content/, where your entries live; write "
                             f"the {what} somewhere else (or pass --force); nothing was written")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise GrowthlogError(f"{shown}: cannot be written: {_reason(exc, target)}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise GrowthlogError(f"{shown}: is a folder; name a file to write the {what} to")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_in_place(target, data, shown)
        return
    if info is not None and info.st_size and not force and not ours(_head(target, shown)):
        raise GrowthlogError(f"{shown}: already exists and is not a {what} growthlog wrote; "
                             "nothing was overwritten (name another file, or pass --force "
                             "to replace it)")
    _replace(target, data, shown)


def _head(path: Path, shown: str) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(HEAD_BYTES)
    except OSError as exc:
        raise GrowthlogError(f"{shown}: cannot be read: {_reason(exc, path)}") from None


def _write_in_place(path: Path, data: bytes, shown: str) -> None:
    try:
        with path.open("wb") as file:
            file.write(data)
    except OSError as exc:
        raise GrowthlogError(f"{shown}: cannot be written: {_reason(exc, path)}") from None


def _replace(path: Path, data: bytes, shown: str) -> None:
    temp = path.with_name(f".{path.name[:200]}.{os.getpid()}.tmp")
    try:
        with temp.open("xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise GrowthlogError(f"{shown}: cannot be written: {_reason(exc, path)}; nothing "
                             "was changed") from None


def _reason(exc: OSError, path: Path) -> str:
    """The OS's reason, worded for the folder when the folder is what is wrong."""
    folder = path.parent
    if isinstance(exc, FileNotFoundError) and not folder.exists():
        return f"the folder {os.fspath(folder)} does not exist"
    if isinstance(exc, NotADirectoryError):
        return f"{os.fspath(folder)} is not a folder"
    return exc.strerror or type(exc).__name__
