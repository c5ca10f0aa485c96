"""IO edge for the built site: atomic writes, unchanged files left alone, only our files pruned.

A manifest (.growthlog-manifest.json) lists every file growthlog wrote with its hash.
Stale files are removed only when they are in that manifest; anything else in the
output folder (a .git, a CNAME the author added) is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GrowthlogError, OutputRefused
from generator.render import OutputFile

MANIFEST = ".growthlog-manifest.json"


@dataclass(frozen=True, slots=True)
class WriteReport:
    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]


def check_output_dir(out_dir: Path, root: Path) -> None:
    """Refuse an output folder that is the log itself, holds content/, or is not ours."""
    out, log = out_dir.resolve(), root.resolve()
    content = log / "content"
    if out == log or out in log.parents:
        raise OutputRefused(f"refusing to write the site into {out_dir}: it contains the log "
                            "itself; choose an output folder such as output/")
    if out == content or content in out.parents:
        raise OutputRefused(f"refusing to write the site into {out_dir}: it is inside content/")
    if out.is_file():
        raise OutputRefused(f"refusing to write the site into {out_dir}: it is a file")
    if (out / "content").is_dir():
        raise OutputRefused(f"refusing to write the site into {out_dir}: it holds a content/ "
                            "folder, so it looks like a log; choose another output folder")
    if out.is_dir() and not (out / MANIFEST).is_file():
        visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
        if visible:
            raise OutputRefused(
                f"refusing to write the site into {out_dir}: it holds files growthlog did not "
                f"write ({', '.join(sorted(visible)[:3])}…); empty it or choose another folder")


def read_manifest(out_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        files = data["files"]
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_output(files: Iterable[OutputFile], out_dir: Path,
                 last_written: Mapping[str, bytes] | None = None) -> WriteReport:
    """Write files that changed, then remove files of earlier builds that no longer belong.

    `last_written` (path → the bytes this folder last got, kept by `serve` for its own
    preview folder) lets a file with the same bytes be skipped without hashing it again.
    """
    previous = read_manifest(out_dir)
    current: dict[str, str] = {}
    written: list[str] = []
    last = last_written or {}
    for file in sorted(files, key=lambda f: f.path):
        before = last.get(file.path)
        if file.path in previous and before is not None and (
                before is file.data or before == file.data):  # re-rendered, same bytes
            current[file.path] = previous[file.path]
            continue
        target = out_dir / _safe_relative(file.path)
        digest = hashlib.sha256(file.data).hexdigest()
        current[file.path] = digest
        if previous.get(file.path) == digest and _same_size(target, len(file.data)):
            continue
        write_atomic(target, file.data)
        written.append(file.path)
    removed = [p for p in sorted(previous) if p not in current and _remove(out_dir, p)]
    # Compact: json's fast C encoder is used only without indent (serve rewrites this often).
    manifest = json.dumps({"version": 1, "files": current}, sort_keys=True,
                          separators=(",", ":"))
    if current != previous or not (out_dir / MANIFEST).is_file():
        write_atomic(out_dir / MANIFEST, manifest.encode("utf-8"))
    return WriteReport(tuple(written), len(current) - len(written), tuple(removed))


def write_atomic(target: Path, data: bytes) -> None:
    """Write through a temp file and rename, so readers never see half a file."""
    temp = target.with_name(f".{target.name}.growthlog-tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, target)
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder should be
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise GrowthlogError(f"could not write {target}: {exc.strerror or exc}") from None


def _safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise OutputRefused(f"refusing to write outside the output folder: {path!r}")
    return relative


def _same_size(path: Path | str, size: int) -> bool:
    try:
        return os.stat(path).st_size == size
    except OSError:
        return False


def _remove(out_dir: Path, path: str) -> bool:
    """Delete one stale file we wrote, then any folders it leaves empty."""
    try:
        target = out_dir / _safe_relative(path)
        target.unlink()
    except (OSError, OutputRefused):
        return False
    parent = target.parent
    while parent != out_dir and parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent
    return True
