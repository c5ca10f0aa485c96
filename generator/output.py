"""IO edge for the built site: atomic writes, unchanged files left alone, only our files pruned.

A manifest (.growthlog-manifest.json) lists every file the last complete build wrote, with
its hash. Before a build changes anything in the folder it records, in a journal
(.growthlog-journal.json), every path it may write that the manifest does not list; the
journal goes only once the new manifest is in place. So whatever moment a build dies at,
the next one knows every file growthlog may have written and prunes what it no longer needs,
while anything else in the output folder (a .git, a CNAME the author added) is never touched.
Whether a file needs writing is decided by its bytes on disk, never by the manifest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GrowthlogError, OutputRefused
from generator.render import OutputFile

MANIFEST = ".growthlog-manifest.json"
JOURNAL = ".growthlog-journal.json"
TEMP_SUFFIX = ".growthlog-tmp"
NAME_MAX = 255
"""Bytes in one file name on the file systems a site is built on (ext4, APFS, NTFS)."""


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def check_output_dir(out_dir: Path, root: Path) -> None:
    """Refuse an output folder that is the log itself, holds content/, or is not ours.
    Paths are compared resolved: a symlinked log or content/ must not hide the overlap."""
    out, log = out_dir.resolve(), root.resolve()
    content = (root / "content").resolve()
    if out == log or out in log.parents:
        raise OutputRefused(f"refusing to write the site into {out_dir}: it contains the log "
                            "itself; choose an output folder such as output/")
    if out == content or content in out.parents:
        raise OutputRefused(f"refusing to write the site into {out_dir}: it is inside content/")
    if out in content.parents:
        raise OutputRefused(f"refusing to write the site into {out_dir}: it holds the log's "
                            "content/ folder; choose another output folder")
    if out.is_file():
        raise OutputRefused(f"refusing to write the site into {out_dir}: it is a file")
    if (out / "content").is_dir():
        raise OutputRefused(f"refusing to write the site into {out_dir}: it holds a content/ "
                            "folder, so it looks like a log; choose another output folder")
    if out.is_dir() and not (out / MANIFEST).is_file() and not (out / JOURNAL).is_file():
        visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
        if visible:
            raise OutputRefused(
                f"refusing to write the site into {out_dir}: it holds files growthlog did not "
                f"write ({', '.join(sorted(visible)[:3])}…); empty it or choose another folder")


def read_manifest(out_dir: Path) -> dict[str, str]:
    """Path → hash of every file the last complete build wrote."""
    files = _read_json(out_dir / MANIFEST).get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _read_journal(out_dir: Path) -> set[str] | None:
    """Paths an interrupted build may have written; None when no build was interrupted."""
    if not (out_dir / JOURNAL).is_file():
        return None
    pending = _read_json(out_dir / JOURNAL).get("pending")
    return {str(p) for p in pending} if isinstance(pending, list) else set()


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def path_problems(paths: Iterable[str]) -> list[str]:
    """Why each output path cannot be written (empty when all can): checked before the
    first write, so a bad name never stops a build half-way."""
    found: list[str] = []
    paths = set(paths)
    for path in sorted(paths):
        why = _invalid(path)
        if why is None:
            parents = PurePosixPath(path).parents
            clash = next((p for p in parents if p.as_posix() in paths), None)
            if clash is not None:
                why = f"{clash.as_posix()!r} is a file, so it cannot also be a folder"
        if why is not None:
            found.append(f"{path!r}: {why}")
    return found


def _invalid(path: str) -> str | None:
    relative = PurePosixPath(path)
    if not path or relative.is_absolute() or path.endswith("/"):
        return "not a file path inside the output folder"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "not a file path inside the output folder"
        if "\x00" in part:
            return f"{part!r} holds a NUL character, which no file name can"
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            return f"a name is longer than {NAME_MAX} bytes"
    return None


def write_output(files: Iterable[OutputFile], out_dir: Path,
                 last_written: Mapping[str, bytes] | None = None) -> WriteReport:
    """Write files whose bytes on disk differ, then remove files of earlier builds that no
    longer belong. Every path is checked, and every clash on disk found, before any write.

    `last_written` (path → the bytes this folder last got from a complete build in this
    process, kept by `serve` for its own preview folder) lets a file with the same bytes be
    skipped without reading it.
    """
    ordered = sorted(files, key=lambda f: f.path)
    problems = path_problems(f.path for f in ordered)
    if problems:
        more = f"\n… and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise OutputRefused("refusing to write the site; nothing was written:\n"
                            + "\n".join(problems[:10]) + more)
    previous = read_manifest(out_dir)
    pending = _read_journal(out_dir)
    interrupted = pending is not None
    owned = set(previous) | (pending or set())
    wanted = {f.path for f in ordered}
    stale = sorted(owned - wanted)
    blockers = _blockers(out_dir, wanted, owned)
    journal = sorted((owned | wanted) - set(previous))
    started = False

    def start() -> None:
        """Record what may be written before the first change to the folder."""
        nonlocal started
        if not started:  # always: an interrupted write leaves a temp file to find again
            write_atomic(out_dir / JOURNAL, _dumps({"version": 1, "pending": journal}))
        started = True

    if interrupted:
        start()
        for path in sorted(owned | wanted):  # temp files the interrupted build left
            _unlink(_temp_name(out_dir / path))
    for path in blockers:
        start()
        _remove(out_dir, path)
    current: dict[str, str] = {}
    written: list[str] = []
    last = last_written or {}
    for file in ordered:
        before = last.get(file.path)
        if not interrupted and file.path in previous and before is not None and (
                before is file.data or before == file.data):  # re-rendered, same bytes
            current[file.path] = previous[file.path]
            continue
        target = out_dir / file.path
        current[file.path] = hashlib.sha256(file.data).hexdigest()
        if _same_bytes(target, file.data):
            continue
        start()
        write_atomic(target, file.data)
        written.append(file.path)
    removed = []
    for path in stale:
        if path in blockers:
            removed.append(path)
            continue
        start()
        if _remove(out_dir, path):
            removed.append(path)
    # Compact: json's fast C encoder is used only without indent (serve rewrites this often).
    if current != previous or not (out_dir / MANIFEST).is_file():
        start()
        write_atomic(out_dir / MANIFEST, _dumps({"version": 1, "files": current}))
    if started:
        _unlink(out_dir / JOURNAL)
    for name in (MANIFEST, JOURNAL):
        _unlink(_temp_name(out_dir / name))
    return WriteReport(tuple(written), len(current) - len(written), tuple(sorted(removed)))


def _dumps(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _blockers(out_dir: Path, wanted: set[str], owned: set[str]) -> list[str]:
    """Stale files of ours that stand where this build needs a file or a folder (removed
    first); OutputRefused, before anything is written, when something not ours does."""
    blockers: set[str] = set()
    refused: list[str] = []
    folders = {p.as_posix() for path in wanted for p in PurePosixPath(path).parents} - {"."}
    for folder in sorted(folders):
        mode = _mode(out_dir / folder)
        if mode is not None and not stat.S_ISDIR(mode):
            if folder in owned:
                blockers.add(folder)
            else:
                refused.append(f"{folder} is a file where the site needs a folder")
    for path in sorted(wanted):
        mode = _mode(out_dir / path)
        if mode is not None and stat.S_ISDIR(mode):
            inside = {p for p in owned - wanted if p.startswith(path + "/")}
            blockers |= inside
            if _holds_other_than(out_dir / path, {p[len(path) + 1:] for p in inside}):
                refused.append(f"{path} is a folder where the site needs a file")
    if refused:
        raise OutputRefused(f"refusing to write the site into {out_dir}: "
                            + "; ".join(refused[:10]) + "; move those away and build again")
    return sorted(blockers)


def _holds_other_than(folder: Path, ours: set[str]) -> bool:
    """True when the folder holds any file that is not one of ours (relative paths)."""
    for item in folder.rglob("*"):
        if not item.is_dir() and item.relative_to(folder).as_posix() not in ours:
            return True
    return False


def _mode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return None


def write_atomic(target: Path, data: bytes) -> None:
    """Write through a temp file and rename, so readers never see half a file."""
    temp = _temp_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, target)
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder should be
        _unlink(temp)
        raise GrowthlogError(f"could not write {target}: {exc.strerror or exc}") from None


def _temp_name(target: Path) -> Path:
    """A short, fixed-length temp name next to the target, so any legal name can be written
    and an interrupted build's temp files can be found again."""
    digest = hashlib.sha256(target.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return target.with_name(f".{digest}{TEMP_SUFFIX}")


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as handle:
            return handle.read() == data
    except OSError:
        return False


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _remove(out_dir: Path, path: str) -> bool:
    """Delete one stale file we wrote (and its temp file), then folders it leaves empty.
    Returns whether a file was there to delete."""
    if _invalid(path) is not None:
        return False  # never follow a manifest out of the folder
    target = out_dir / path
    mode = _mode(target)
    removed = False
    if mode is not None and not stat.S_ISDIR(mode):
        with contextlib.suppress(OSError):
            target.unlink()
            removed = True
    _unlink(_temp_name(target))
    parent = target.parent
    with contextlib.suppress(OSError):
        while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return removed
