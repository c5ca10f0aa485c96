"""IO edge for the built site: atomic writes, unchanged files left alone, only our files pruned.

A manifest (.growthlog-manifest.json) lists every file the last complete build wrote, with
its hash. Before a build changes anything in the folder it records, in a journal
(.growthlog-journal.json), every path it may write that the manifest does not list; the
journal goes only once the new manifest is in place. So whatever moment a build dies at,
the next one knows every file growthlog may have written and prunes what it no longer needs,
while anything else in the output folder (a .git, a CNAME the author added) is never touched.
Whether a file needs writing is decided by its bytes on disk, never by the manifest.

`build` (swap=True) goes further, so that the folder is at every moment either the old site
or the new one: the new site is put together in a hidden sibling folder (files that did
not change hard-linked from the current output, everything growthlog did not write linked
over as it is), then the two folders are exchanged in one step (Linux renameat2
RENAME_EXCHANGE). Where that cannot be done (another OS, a file system without it, an
output folder that is a mount point, even a bind mount of the same file system, whose
files cannot be hard-linked out), it writes in place as above. "At every moment" is
about a build killed at any moment, not a power cut: the site's files are not fsynced,
so a page written shortly before one may be found empty, and the next build writes it
again (an empty file has neither the page's bytes nor the stamp the build state recorded).

After the exchange the hidden folder holds the old site. A private build (keep=False)
clears it: no plaintext stays beside. A public one keeps it, with a list of what in it is
growthlog's (its pages; the author's files it linked over, by inode; STAGING_LIST), and
the next build updates it to the new site instead of making every folder again: only
files whose bytes differ are replaced, always by a new file made at their name (never
written into: one there may be a hard link to the live site's), and only folders that
differ are made or removed. The list says "settled" only once the exchange is done; a
folder without a settled list (a build killed while writing there, a list damaged by
hand) is cleared as before and the site put together from nothing. The author's files
are taken from the output folder as they are now, so one deleted there does not come back
from the old site; what the author put only in the hidden folder is never deleted: it
goes into the site.
(A link growthlog made is known by its inode number, which the file system may give to a
new file once the last link is gone: a file put beside by hand at the very path of one
just deleted from the output folder may be taken for that link.)

A build from nothing leaves nothing beside. The next public build (`growthlog build`),
when a CPU is free, has a child process copy the site there while it reads and renders
(`copy_beside`): a folder for each folder, a hard link to each file, the list first
unsettled and then settled, as an exchange would have left it; the output folder itself
is never touched. Its write then updates that copy as any later build's does. A link
moves the ctime of the file it links, so the child tells which pages it linked and each
one's stamp right before and right after, and such a page is still taken as unchanged.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import hashlib
import json
import marshal
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from generator.errors import GrowthlogError, OutputRefused
from generator.value import Value, frozen

if TYPE_CHECKING:  # not loaded by `growthlog build` with nothing to do (cache.up_to_date)
    from generator.render import OutputFile

MANIFEST = ".growthlog-manifest.json"
JOURNAL = ".growthlog-journal.json"
TEMP_SUFFIX = ".growthlog-tmp"
STAGING_SUFFIX = ".growthlog-staging"
"""The hidden sibling folder a swapped build puts the new site together in."""
STAGING_LIST = ".growthlog-staging.json"
"""In that folder, first of all: every path the build will write there and every file of
the author's it links there, by inode (so a folder left by a killed build can be cleared
without touching anything growthlog did not write); after the exchange, the same of the
old site it then holds, "settled" (version 2, _Listed)."""
HASHED_ASIDE = 1 << 20
"""Bytes from which a file's hash is taken in a thread of its own (the search index, 5 MB
at 1,000 entries: 2.3 ms), beside the write's look at the folders."""
NAME_MAX = 255
"""Bytes in one file name on the file systems a site is built on (ext4, APFS, NTFS)."""


@frozen
class WriteReport(Value):
    """What a write did: files written, unchanged and removed."""

    written: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    digests: Mapping[str, str] = field(default_factory=dict)
    """Every file's hash, as the manifest has it."""
    stats: Mapping[str, os.stat_result] = field(default_factory=dict)
    """The lstat of files the write looked at and left as they were (no link made to
    them since: a link moves the ctime), as good as one taken after it."""


Stamp = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode) of a file as written: it still holds what was written
while they are the same (ctime, which no tool sets, moves with any write)."""
OnDisk = Mapping[str, tuple[bytes, str, Stamp]]
"""Files known to be in the output folder: path → their bytes, hash and stamp."""
Listing = list[tuple[str, list[os.DirEntry[str]]]]
"""Folders listed, each by its path under the top one ('' for that), with what it holds."""
Relinked = Mapping[str, tuple[Stamp, Stamp]]
"""Pages copy_beside linked: path → their stamp right before the link and right after it
(the same file: a new link moves its ctime alone)."""


class PagesChanged(GrowthlogError):
    """Unread pages whose files are no longer as the last build left them (edited by
    hand; ctime moves when another link to one goes too, as clearing a killed build's
    staging folder does): the build renders them again (build.py). Raised before
    anything is written."""

    def __init__(self, out_dir: Path, paths: frozenset[str]) -> None:
        super().__init__(f"{out_dir / min(paths)} changed while the site was being built; "
                         "build again")
        self.paths = paths


class Unread(bytes):
    """Stands for the bytes of a page the output folder holds as the last build left it
    (its stamp in OnDisk; build_cache.py), not read: a write that finds the file still so
    takes it as unchanged, any other need reads it (`_read_unread`). Empty itself: never
    written as it is (`write_output` replaces each one it does not leave alone)."""

    size: int

    def __new__(cls, size: int) -> Unread:
        made = super().__new__(cls)
        made.size = size
        return made


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


def path_problems(paths: Iterable[str], known: Collection[str] = frozenset()) -> list[str]:
    """Why each output path cannot be written (empty when all can): checked before the
    first write, so a bad name never stops a build half-way. `known`: paths an earlier
    build wrote (each a valid name then, and now: a name's validity is its own), not
    checked again; whether any path is also another's folder always is."""
    paths = set(paths)
    ordered = sorted(paths)
    if all(path in known or _invalid(path) is None for path in ordered) \
            and not _any_folder(ordered):
        return []
    found: list[str] = []
    for path in ordered:
        why = _invalid(path)
        if why is None:
            clash = next((p for p in _parents(path) if p in paths), None)
            if clash is not None:
                why = f"{clash!r} is a file, so it cannot also be a folder"
        if why is not None:
            found.append(f"{path!r}: {why}")
    return found


def _any_folder(ordered: list[str]) -> bool:
    """Whether any of these paths (sorted) is a folder another lies in."""
    return any(_holds_any(ordered, path) for path in ordered)


def _holds_any(ordered: list[str], folder: str) -> bool:
    """Whether any of these paths (sorted) lies in folder: those that start with it and
    '/' sort together, right where that would be."""
    inside = folder + "/"
    at = bisect.bisect_left(ordered, inside)
    return at < len(ordered) and ordered[at].startswith(inside)


def _invalid(path: str) -> str | None:
    if not path or path.startswith("/") or path.endswith("/"):
        return "not a file path inside the output folder"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return "not a file path inside the output folder"
        if "\x00" in part:
            return f"{part!r} holds a NUL character, which no file name can"
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            return f"a name is longer than {NAME_MAX} bytes"
    return None


def _parents(path: str) -> list[str]:
    """The folders a valid output path lies in, nearest first, as PurePosixPath(path).parents
    names them ('a/b/c': 'a/b', 'a', '.'); strings, as serve asks this of every path of
    the site on every save."""
    found = []
    end = path.rfind("/")
    while end > 0:
        found.append(path[:end])
        end = path.rfind("/", 0, end)
    found.append(".")
    return found


def write_output(files: Iterable[OutputFile], out_dir: Path,
                 last_written: Mapping[str, bytes] | None = None, *,
                 swap: bool = False, keep: bool = False,
                 on_disk: OnDisk | None = None, relinked: Relinked | None = None
                 ) -> WriteReport:
    """Write files whose bytes on disk differ, then remove files of earlier builds that no
    longer belong. Every new path is checked (an earlier build's were), every clash on disk
    found, before any write.

    `swap`: put the new site together beside the folder and exchange the two at once, where
    the system can (see the module's docstring); else, or when False, write in place.
    `keep`: keep the old site there after the exchange, for the next swapped build to
    update in place (a public build; a private one must leave no plaintext beside).
    `last_written` (path → the bytes this folder last got from a complete build in this
    process, kept by `serve` for its own preview folder) lets a file with the same bytes be
    skipped without reading it. `on_disk` (a swapped build): files the output folder holds
    as the last build left them (build_cache.py); a file whose bytes are that very object
    is taken as unchanged while its stamp is, without reading or hashing it. `relinked`:
    pages copy_beside linked since (each one's ctime moved; taken as unchanged while it
    has the stamp the link left, if it had the one `on_disk` knows right before).
    """
    ordered = sorted(files, key=lambda f: f.path)
    problems = path_problems((f.path for f in ordered), on_disk or last_written or {})
    if problems:
        more = f"\n… and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise OutputRefused("refusing to write the site; nothing was written:\n"
                            + "\n".join(problems[:10]) + more)
    on_disk = _restamp(on_disk or {}, relinked or {})
    if swap:
        swapped = _write_swapped(ordered, out_dir, keep, on_disk)
        if swapped is not None:
            return swapped
    return _write_in_place(_read_unread(ordered, out_dir, on_disk), out_dir, last_written)


def _restamp(on_disk: OnDisk, relinked: Relinked) -> OnDisk:
    """on_disk with the stamp each page relinked had right after its link, where it had
    the one on_disk knows right before."""
    if not relinked:
        return on_disk
    known = dict(on_disk)
    for path, (before, after) in relinked.items():
        held = known.get(path)
        if held is not None and held[2] == tuple(before):
            known[path] = held[0], held[1], after
    return known


def _read_unread(ordered: list[OutputFile], out_dir: Path, on_disk: OnDisk,
                 same: Mapping[str, os.stat_result] | None = None) -> list[OutputFile]:
    """`ordered` with the bytes of each Unread page read from the output folder, where
    its file still has the stamp the last build left (pages in `same` are linked, not
    written: left as they are); a page changed since this build began refuses the write."""
    from generator.render import OutputFile

    found = []
    changed: set[str] = set()
    inside = f"{out_dir.resolve()}/"
    for file in ordered:
        if type(file.data) is Unread and (same is None or file.path not in same):
            known = on_disk.get(file.path)
            data = read_stamped(inside + file.path, known[2]) \
                if known is not None and known[0] is file.data else None
            if data is None:
                changed.add(file.path)
                continue
            file = OutputFile(file.path, data)
        found.append(file)
    if changed:
        raise PagesChanged(out_dir, frozenset(changed))
    return found


def read_stamped(path: str, stamp: Stamp) -> bytes | None:
    """The bytes of the regular file at path (not followed if a link, not waited on if a
    pipe) while it has this stamp; None otherwise."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        found = os.fstat(handle)
        if file_stamp(found) != stamp or not stat.S_ISREG(found.st_mode):
            return None
        data = os.read(handle, found.st_size + 1)
    except OSError:
        return None
    finally:
        os.close(handle)
    return data if len(data) == found.st_size else None  # else changed while it was read


def _write_in_place(ordered: list[OutputFile], out_dir: Path,
                    last_written: Mapping[str, bytes] | None) -> WriteReport:
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
    return WriteReport(tuple(written), len(current) - len(written), tuple(sorted(removed)),
                       current)


def staging_dir(out_dir: Path) -> Path:
    """Where a swapped build puts the new site together: a hidden sibling of the real
    folder (a symlinked output folder is followed: its target is what is swapped)."""
    real = out_dir.resolve()
    return real.with_name(f".{real.name}{STAGING_SUFFIX}")


@frozen
class _Listed(Value):
    """What the staging folder's list says growthlog put there."""

    pending: frozenset[str]
    """Pages: of the old site it holds, or that a build was writing there."""
    carried: Mapping[str, frozenset[int]]
    """The author's files linked in from the output folder, with the inode linked."""
    folders: frozenset[str]
    """Empty folders made there as the output folder had them."""
    settled: bool
    """It holds the old site, as the exchange left it (no build was writing there)."""


def _read_list(staging: Path, valid: Collection[str] = frozenset()) -> _Listed | None:
    """The staging folder's list (version 2), its paths checked (but those in `valid`,
    checked already); None when there is none or it cannot be trusted (so the folder is
    cleared as a killed build's)."""
    data = _read_json(staging / STAGING_LIST)
    pending, carried = data.get("pending"), data.get("carried")
    folders, settled = data.get("folders"), data.get("settled")
    if data.get("version") != 2 or not isinstance(pending, list) or not isinstance(
            carried, dict) or not isinstance(folders, list) or not isinstance(settled, bool):
        return None
    try:
        links = {str(p): frozenset(int(i) for i in inodes) for p, inodes in carried.items()}
    except (TypeError, ValueError):
        return None
    paths = [*map(str, pending), *links, *map(str, folders)]
    if any(p not in valid and _invalid(p) is not None for p in paths):
        return None  # never follow a list out of the folder
    return _Listed(frozenset(map(str, pending)), links, frozenset(map(str, folders)), settled)


def buffer_settled(out_dir: Path) -> bool:
    """Nothing beside the output folder but, at most, the old site a public build kept
    there (so a build with nothing to do may leave it as it is)."""
    staging = staging_dir(out_dir)
    if not os.path.lexists(staging):
        return True
    listed = _read_list(staging) if stat.S_ISDIR(_mode(staging) or 0) else None
    return listed is not None and listed.settled


def _swappable(real: Path) -> bool:
    """Whether the folder at real (resolved, there) can be exchanged with one beside it:
    no mount point (it cannot be), no journal (an in-place build's, interrupted: written
    in place again), and on the file system of its parent folder."""
    return not os.path.ismount(real) and _read_journal(real) is None \
        and os.stat(real).st_dev == os.stat(real.parent).st_dev


class _Conflict(Exception):
    """The staging folder holds something growthlog did not put there where the new site
    needs a path: it is cleared as a killed build's would be (clear_staging decides)."""


def _write_swapped(ordered: list[OutputFile], out_dir: Path, keep: bool,
                   on_disk: OnDisk) -> WriteReport | None:
    """Build the new site beside the output folder and exchange the two at once; None
    (nothing changed) when this system or folder cannot, so the caller writes in place."""
    real, staging = out_dir.resolve(), staging_dir(out_dir)
    mode = _mode(real)
    if sys.platform != "linux" or (mode is not None and not stat.S_ISDIR(mode)):
        return None
    if mode is not None and not _swappable(real):
        return None
    if mode is None:  # the folders it is to be in, as for a site written in place
        try:
            real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # (a file on the way: EEXIST where it is the parent)
            why = os.strerror(errno.ENOTDIR) if exc.errno == errno.EEXIST else exc.strerror
            raise GrowthlogError(f"could not write {out_dir}: {why or exc}") from None
    wanted = {f.path for f in ordered}  # (each checked by path_problems)
    listed = _read_list(staging, wanted) if keep and stat.S_ISDIR(_mode(staging) or 0) \
        else None
    if listed is None or not listed.settled:  # a killed build's: cleared, not built on
        listed = None
        clear_staging(out_dir)
        if _mode(staging) is not None:
            return None  # what is left there is not all ours: kept, and the folder written in place
    previous = read_manifest(real) if mode is not None else {}
    current: dict[str, str] = {}
    same: dict[str, os.stat_result] = {}
    inside = f"{real}/"  # strings, not Paths: a thousand files take a third of the time
    big = [f for f in ordered if len(f.data) >= HASHED_ASIDE and (
        (known := on_disk.get(f.path)) is None or known[0] is not f.data)]
    aside = _Aside(big)
    try:  # (the thread joined on any way out: a build may fork next)
        stamped = _compare(ordered, inside, on_disk if mode is not None else {}, aside,
                           current, same, there=mode is not None)
        ordered[:] = _read_unread(ordered, out_dir, on_disk, same)  # (the caller's list too)
        stale = sorted(p for p in set(previous) - wanted if _mode(real / p) is not None)
        listed_at = time.time_ns()
        survey = _walk(os.fspath(real)) if mode is not None else _Survey(set(), {"": 0}, set())
    finally:
        current.update(aside.join())
    same.update((path, found) for path, (digest, found) in stamped.items()
                if current[path] == digest)
    if mode is not None:
        # Refuses what is not ours in the site's way.
        _blockers(real, wanted, set(previous), there=survey)
        if len(same) == len(wanted) and not stale and previous == current:
            # Nothing changes: nothing touched.
            return WriteReport((), len(current), (), current, same)
    ours = set(previous) | {MANIFEST, JOURNAL}
    for attempt in (listed, None):
        if attempt is None and listed is not None and mode is not None:
            listed_at = time.time_ns()
            survey = _walk(os.fspath(real))  # (the first try took a while)
        others, empty = _others(os.fspath(real), survey, ours | wanted)
        try:
            written, linked = _update(staging, real, ordered, wanted, current, same, others,
                                      empty, attempt)
            break
        except _Conflict:  # something not ours in the way: cleared as a killed build's
            clear_staging(out_dir)  # folder is (moved into the output folder, or kept there)
            if attempt is None or _mode(staging) is not None:
                return None
        except OSError as exc:
            clear_staging(out_dir)
            if exc.errno in (errno.EXDEV, errno.EPERM):
                # The old site's files cannot be hard-linked (a bind-mounted folder; another
                # user's file under fs.protected_hardlinks): the site is written in place.
                return None
            raise GrowthlogError(f"could not write {_as_output(exc, staging, out_dir)}: "
                                 f"{exc.strerror or exc}") from None
    if mode is None:
        try:
            os.rename(staging, real)
        except OSError:
            clear_staging(out_dir)
            return None
    elif not _exchange(staging, real):
        clear_staging(out_dir)
        return None
    elif keep:
        with contextlib.suppress(OSError):  # not settled: the next build clears it instead
            _settle(real, staging, previous, others, empty, survey.folders, listed_at)
        return WriteReport(tuple(written), len(current) - len(written), tuple(stale), current,
                           {p: found for p, found in same.items() if p not in linked})
    else:
        clear_staging(out_dir)  # (its unlinks move the ctime of pages linked there)
    return WriteReport(tuple(written), len(current) - len(written), tuple(stale), current)


@frozen
class _Survey(Value):
    """What `_walk` listed."""

    files: set[str]
    """Every item that is no folder: files, symbolic links (to folders too)."""
    folders: dict[str, int]
    """Every folder with its inode number (the top's: 0, not known: it is always listed
    again after the exchange, which renamed it)."""
    empty: set[str]
    """Folders listed with nothing in them (not the top)."""


def _compare(ordered: list[OutputFile], inside: str, on_disk: OnDisk, aside: _Aside,
             current: dict[str, str], same: dict[str, os.stat_result], *, there: bool
             ) -> dict[str, tuple[str, os.stat_result]]:
    """Each file's hash into `current`, and into `same` the lstat of each the output
    folder (`inside`, with a '/'; `there`: it is) has as it is, by its stamp and hash
    (`on_disk`) or its bytes. Those hashed `aside`, still unknown, are returned instead:
    their hash on disk and lstat, where the file has the stamp `on_disk` knows."""
    stamped: dict[str, tuple[str, os.stat_result]] = {}
    for file in ordered:
        known = on_disk.get(file.path)
        digest: str | None = None  # hashed aside: its hash compared once taken
        if file.path not in aside.paths:
            current[file.path] = digest = known[1] \
                if known is not None and known[0] is file.data \
                else hashlib.sha256(file.data).hexdigest()  # the same bytes: not hashed again
        if known is not None and (digest is None or known[1] == digest):  # not read
            found = _lstat(inside + file.path)
            if found is not None and stat.S_ISREG(found.st_mode) and known[2] == file_stamp(found):
                if digest is None:
                    stamped[file.path] = known[1], found
                else:
                    same[file.path] = found
                continue
        # (an Unread page's bytes are not these: an emptied file would pass for it)
        found = _same_file(inside + file.path, file.data) \
            if there and type(file.data) is not Unread else None
        if found is not None:
            same[file.path] = found
    return stamped


class _Aside:
    """The sha256 of large files' bytes, taken in a thread of their own (hashlib lets go
    of the interpreter while it hashes): the write looks at the folders meanwhile."""

    def __init__(self, files: list[OutputFile]) -> None:
        self.files, self.paths = files, frozenset(f.path for f in files)
        self.found: dict[str, str] = {}
        self.thread: threading.Thread | None = None
        if files:
            thread = threading.Thread(target=self._hash, args=(files,), daemon=True)
            with contextlib.suppress(RuntimeError):  # no thread to be had: hashed in join
                thread.start()
                self.thread = thread

    def _hash(self, files: list[OutputFile]) -> None:
        for file in files:
            self.found[file.path] = hashlib.sha256(file.data).hexdigest()

    def join(self) -> dict[str, str]:
        """Each file's hash, once all are taken."""
        if self.thread is not None:
            self.thread.join()
        for file in self.files:  # (none, unless the thread failed: taken here then)
            if file.path not in self.found:
                self.found[file.path] = hashlib.sha256(file.data).hexdigest()
        return self.found


def _walk(top: str, start: str = "", listing: Listing | None = None) -> _Survey:
    """What the folder at top holds, each item gone over once, and into `listing` each
    folder under it, top first ('' for it), with its items; a symbolic link to a folder
    is an item, not followed. os.walk's answers at a third of its cost (the folder's
    items are typed by the listing itself: no look at each). `start`: only the folder at
    that path under top and what is under it."""
    files: set[str] = set()
    folders = {"": 0}
    empty: set[str] = set()
    stack = [start]
    while stack:
        relative = stack.pop()
        try:
            with os.scandir(f"{top}/{relative}" if relative else top) as found:
                items = list(found)
        except OSError:  # gone since its folder was listed
            continue
        if listing is not None:
            listing.append((relative, items))
        if not items and relative:
            empty.add(relative)
        prefix = relative + "/" if relative else ""
        for item in items:
            if item.is_dir(follow_symlinks=False):
                folders[prefix + item.name] = item.inode()
                stack.append(prefix + item.name)
            else:
                files.add(prefix + item.name)
    return _Survey(files, folders, empty)


def _others(top: str, survey: _Survey, ours: set[str]
            ) -> tuple[dict[str, os.stat_result], set[str]]:
    """What the folder at top (`survey`: as `_walk` listed it) holds that growthlog did not
    write: each file and symbolic link (path → lstat), and each empty folder (growthlog
    leaves none of its own)."""
    found: dict[str, os.stat_result] = {}
    for path in sorted(survey.files - ours):
        if not path.endswith(TEMP_SUFFIX):
            there = _lstat(f"{top}/{path}")
            if there is not None:  # (else gone since it was listed)
                found[path] = there
    return found, survey.empty


def tree(top: str, start: str = "") -> Listing:
    """`_walk`'s listing alone."""
    listing: Listing = []
    _walk(top, start, listing)
    return listing


def _update(staging: Path, real: Path, ordered: list[OutputFile], wanted: set[str],
            current: dict[str, str], same: Mapping[str, os.stat_result],
            others: Mapping[str, os.stat_result], empty: set[str], listed: _Listed | None
            ) -> tuple[list[str], set[str]]:
    """Make the staging folder the new site: from nothing (`listed` None) or from the old
    site a public build kept there, changing only what differs. A file is never written
    into: one there may be a hard link to the site in the output folder. Returns the pages
    whose bytes the output folder does not have, and those of `same` linked there now.
    `wanted`: the paths of `ordered`."""
    fresh = listed is None and not others and not empty
    """The folder is made here (os.mkdir: it was not there) and gets no file or folder of
    the author's: nothing in it is looked for, as each folder and file is made where
    nothing can be (a new file at once under its name, O_EXCL: a third of the system
    calls of one written under a temp name and renamed)."""
    if listed is None:
        os.mkdir(staging, stat.S_IMODE(os.stat(real).st_mode) if os.path.isdir(real)
                 else 0o777)
        listed = _Listed(frozenset(), {}, frozenset(), settled=True)
    elif os.path.isdir(real):
        _same_mode(staging, os.stat(real))
    mine = listed.pending  # (settled: the pages of the site there, its manifest's)

    def ours(path: str, found: os.stat_result) -> bool:
        return path in mine or found.st_ino in listed.carried.get(path, ())

    into, source_of = f"{staging}/", f"{real}/"  # strings: a thousand paths
    # Before the list claims them: what of the author's is in the way.
    for path in sorted((wanted | set(others)) - mine) if not fresh else ():
        there, source = _lstat(into + path), same.get(path) or others.get(path)
        if there is not None and not ours(path, there) and not (
                source is not None and os.path.samestat(there, source)):
            raise _Conflict(path)  # the author's: cleared as a killed build's would be
    carried = {p: set(i) for p, i in listed.carried.items()}
    for path, found in others.items():
        carried.setdefault(path, set()).add(found.st_ino)
    _replace(staging / STAGING_LIST, _dumps({
        "version": 2, "settled": False, "pending": sorted(mine | wanted),
        "carried": {p: sorted(i) for p, i in sorted(carried.items())},
        "folders": sorted(listed.folders | empty)}))

    folders = _Folders(into, source_of, ours, fresh=fresh)
    for path, found in sorted(others.items()):  # first: their folders get the original's mode
        folders.make(_parent(path), like=True)
        _place(into, path, source_of + path, found, ours)
    for folder in sorted(empty):
        folders.make(folder, like=True)
    written: list[str] = []
    linked: set[str] = set()
    for file in ordered:
        folders.make(_parent(file.path))
        source = same.get(file.path)
        if source is not None:
            if _place(into, file.path, source_of + file.path, source, ours):
                linked.add(file.path)
            continue
        written.append(file.path)
        if fresh:
            _create(into + file.path, file.data)
            continue
        target = into + file.path
        there = _lstat(target)
        if there is not None:
            if stat.S_ISDIR(there.st_mode) or not ours(file.path, there):
                raise _Conflict(file.path)
            if stat.S_ISREG(there.st_mode) and there.st_nlink == 1 and _same_bytes(
                    target, file.data):
                continue  # the old site had these bytes (an edit undone)
        _renew(target, file.data)
    needed = wanted | set(others) | {MANIFEST}
    emptied: set[str] = set()
    for path in sorted((mine | set(listed.carried)) - needed):
        there = _lstat(into + path)
        if there is None or stat.S_ISDIR(there.st_mode) or not ours(path, there):
            continue  # gone, or not ours (it stays)
        os.unlink(into + path)
        emptied.update(p for p in _parents(path) if p != ".")
    gone = emptied | (listed.folders - empty)  # (most builds: none)
    keep = folders.made | {p for path in needed for p in _parents(path)} if gone else set()
    for folder in sorted(gone, key=len, reverse=True):
        if folder not in keep and _mode(staging / folder) is not None:
            with contextlib.suppress(OSError):  # not empty: something of the author's
                os.rmdir(staging / folder)
    _renew(into + MANIFEST, _dumps({"version": 1, "files": current}))
    os.unlink(staging / STAGING_LIST)
    return written, linked


class _Folders:
    """Folders made sure of in the staging folder (each looked at once)."""

    def __init__(self, into: str, source_of: str,
                 ours: Callable[[str, os.stat_result], bool], *, fresh: bool = False) -> None:
        """`into`, `source_of`: the staging and output folders' paths, each with a '/';
        `fresh`: the staging folder was made empty by this build (nothing to look for)."""
        self.into, self.source_of, self.ours, self.fresh = into, source_of, ours, fresh
        self.made: set[str] = {"."}
        self.alike: set[str] = {"."}

    def make(self, folder: str, *, like: bool = False) -> None:
        """staging/folder and its parents as folders; `like`: each with the mode of its
        original in the output folder."""
        if folder in self.made and (not like or folder in self.alike):
            return
        self.make(_parent(folder), like=like)
        target = self.into + folder
        there = None if self.fresh and not like else _lstat(target)
        mode = stat.S_IMODE(os.stat(self.source_of + folder).st_mode) if like else 0o777
        if there is not None and not stat.S_ISDIR(there.st_mode):
            if not self.ours(folder, there):
                raise _Conflict(folder)
            os.unlink(target)
            there = None
        if there is None:
            os.mkdir(target, mode)
        elif like:
            _same_mode(target, os.stat(self.source_of + folder))
        self.made.add(folder)
        if like:
            self.alike.add(folder)


def _place(into: str, path: str, source: str, found: os.stat_result,
           ours: Callable[[str, os.stat_result], bool]) -> bool:
    """The staging folder's path (`into` + path) as a hard link to source (whose lstat is
    `found`): left alone when it is one already (False)."""
    target = into + path
    there = _lstat(target)
    if there is not None and os.path.samestat(there, found):
        return False
    if there is None:
        os.link(source, target, follow_symlinks=False)
        return True
    if stat.S_ISDIR(there.st_mode) or not ours(path, there):
        raise _Conflict(path)
    temp = _temp_name(Path(target))
    _unlink(temp)
    os.link(source, temp, follow_symlinks=False)
    os.replace(temp, target)
    return True


def _settle(real: Path, staging: Path, previous: Mapping[str, str],
            others: Mapping[str, os.stat_result], empty: set[str],
            listed: Mapping[str, int], since: int) -> None:
    """After the exchange the staging folder holds the old site: kept for the next build,
    with a list of what in it is growthlog's. What the author put in the output folder
    while this build ran (not linked over) is moved into it, or made there (an empty
    folder), unless the new site has something at that path. `listed`: the folders the
    output folder held when it was listed (`_Survey.folders`), at `since` (time.time_ns)."""
    ours = set(previous) | {MANIFEST, JOURNAL, STAGING_LIST}
    folders: set[str] = set()  # those the sites have, once an empty one is found
    for relative, items in _changed_since(os.fspath(staging), listed, since):
        prefix = relative + "/" if relative else ""
        for item in items:
            path = prefix + item.name
            if path in ours or item.name.endswith(TEMP_SUFFIX) or (
                    item.is_dir(follow_symlinks=False)):
                continue
            linked = others.get(path)
            with contextlib.suppress(OSError):
                if linked is not None and os.path.samestat(
                        item.stat(follow_symlinks=False), linked):
                    continue
                if _mode(real / path) is None:  # not growthlog's, and only here: moved in
                    (real / path).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(item.path, real / path)
        if relative and not items and not folders:
            folders = {p for path in [*ours, *others] for p in _parents(path)} | empty
        if relative and not items and relative not in folders \
                and _mode(real / relative) is None:
            with contextlib.suppress(OSError):
                (real / relative).mkdir(parents=True)  # an empty folder made during the build
    _replace(staging / STAGING_LIST, _dumps({
        "version": 2, "settled": True, "pending": sorted(previous),
        "carried": {p: [found.st_ino] for p, found in sorted(others.items())},
        "folders": sorted(empty)}))


def copy_beside(out_dir: Path, spare: Callable[[], bool] = lambda: True,
                ) -> Callable[[], Relinked] | None:
    """Start making the folder beside out_dir what a public build leaves there after the
    exchange (`_settle`): the site the output folder holds now, every file hard-linked,
    with a settled list. The write then updates it, as every later build's does, instead
    of making a folder and a link per page while nothing else runs (the first build
    after one from nothing, which leaves nothing beside). It runs in a child process
    while this one reads and renders: the function returned waits for it (call it before
    the write, and on any way out; again is harmless) and tells the pages it linked, for
    the write to know them unchanged (`write_output`'s `relinked`). None, nothing started,
    where nothing is to be copied (no site with a manifest; a journal, a mount point:
    written in place; not Linux) or something is beside already, or no CPU is `spare()`
    (asked last: a look at the CPUs waits 2 ms, and most builds have nothing to copy,
    every edit after the first among them). A child that fails or is killed (it dies
    with this process) leaves its list unsettled: cleared as a killed build's."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return None
    real, staging = out_dir.resolve(), staging_dir(out_dir)
    try:
        if not stat.S_ISDIR(os.lstat(real).st_mode) or os.path.lexists(staging) \
                or not os.path.isfile(real / MANIFEST) or not _swappable(real):
            return None
    except OSError:
        return None
    if not spare():
        return None
    parent = os.getpid()
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: copy, and leave without the parent's exits or buffers
        status = 1
        try:
            os.close(read)
            _die_with(parent)
            data = marshal.dumps(_copy_site(real, staging))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: BLE001, S110 - the list stays unsettled: cleared
            pass
        finally:
            os._exit(status)
    os.close(write)
    done: list[Relinked] = []

    def join() -> Relinked:
        if not done:
            with os.fdopen(read, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            try:
                got = marshal.loads(data) if status == 0 else {}
            except Exception:  # noqa: BLE001 - cut short: none known
                got = {}
            done.append(got if isinstance(got, dict) else {})
        return done[0]

    return join


def _die_with(parent: int) -> None:
    """This (child) process is killed when its parent ends, however it ends (Linux
    PR_SET_PDEATHSIG): no copy goes on beside a folder the next build may be clearing."""
    import ctypes

    pr_set_pdeathsig, sigkill = 1, 9
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, sigkill)
    if os.getppid() != parent:  # it ended before that was asked
        os._exit(1)


def _copy_site(real: Path, staging: Path) -> dict[str, tuple[Stamp, Stamp]]:
    """staging (not there) made the settled old site `_settle` leaves: the folders of
    real with their modes, a hard link to each of its files, the list first (unsettled).
    Returns each page's stamp right before its link and right after."""
    previous = read_manifest(real)
    listing: Listing = []
    others, empty = _others(os.fspath(real), _walk(os.fspath(real), listing=listing),
                            set(previous) | {MANIFEST, JOURNAL, STAGING_LIST})
    listed: dict[str, object] = {"version": 2, "pending": sorted(previous),
                                 "folders": sorted(empty)}
    os.mkdir(staging, stat.S_IMODE(os.stat(real).st_mode))
    _replace(staging / STAGING_LIST, _dumps({**listed, "settled": False, "carried": {
        p: [found.st_ino] for p, found in sorted(others.items())}}))
    into = f"{staging}/"
    carried = {p: {found.st_ino} for p, found in others.items()}
    relinked: dict[str, tuple[Stamp, Stamp]] = {}
    for relative, items in listing:
        prefix = relative + "/" if relative else ""
        for item in items:
            path = prefix + item.name
            with contextlib.suppress(FileNotFoundError):  # gone since it was listed
                if item.is_dir(follow_symlinks=False):
                    os.mkdir(into + path, stat.S_IMODE(item.stat(follow_symlinks=False).st_mode))
                elif path in previous:
                    before = os.lstat(item.path)
                    os.link(item.path, into + path, follow_symlinks=False)
                    after = os.lstat(into + path)
                    if before.st_ino == after.st_ino and before.st_size == after.st_size \
                            and before.st_mtime_ns == after.st_mtime_ns:
                        relinked[path] = file_stamp(before), file_stamp(after)
                elif not item.name.endswith(TEMP_SUFFIX) and path not in (JOURNAL, STAGING_LIST):
                    os.link(item.path, into + path, follow_symlinks=False)
                    if path in carried:  # (replaced since it was looked at: this one)
                        carried[path].add(os.lstat(into + path).st_ino)
    _replace(staging / STAGING_LIST, _dumps({**listed, "settled": True, "carried": {
        p: sorted(inodes) for p, inodes in sorted(carried.items())}}))
    return relinked


def file_stamp(found: os.stat_result) -> Stamp:
    return found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino


def _changed_since(top: str, listed: Mapping[str, int], since: int
                   ) -> Iterator[tuple[str, list[os.DirEntry[str]]]]:
    """What `tree(top)` gives, but for the folders in `listed` (`_Survey.folders` of what _walk
    listed after `since`, in ns) that are the same folders and that nothing was put into,
    taken from or renamed in since: each such folder (its ctime older than `since`, by
    more than a clock tick or the file system's time step) holds what was listed, each
    item of it then known (growthlog's, or the author's and linked over). Each is looked
    at (lstat), not listed: a fifth of the cost; none under a folder gone or no folder
    now. Folders under a listed one that were not listed are listed, whole."""
    found = {relative: _lstat(f"{top}/{relative}" if relative else top) for relative in listed}
    # Times in whole seconds (ext4 with small inodes): a change within the same second
    # keeps the time; else the kernel's clock ticks at least every 10 ms.
    fine = any(there is not None and there.st_ctime_ns % 1_000_000_000
               for there in found.values())
    before = since - (50_000_000 if fine else 2_000_000_000)
    # A folder gone, or no folder now (a symbolic link), hides what was listed under it:
    # looked up by its path, that would be reached through the link (parents sort first).
    hidden: set[str] = set()
    for relative in sorted(found):
        there = found[relative]
        if relative and relative.rpartition("/")[0] in hidden or there is None \
                or not stat.S_ISDIR(there.st_mode):
            hidden.add(relative)
            continue
        if relative and there.st_ctime_ns < before and listed[relative] == there.st_ino:
            continue  # as listed (else replaced, its folder changed: listed)
        try:
            with os.scandir(f"{top}/{relative}" if relative else top) as listing:
                items = list(listing)
        except OSError:  # gone since
            continue
        yield relative, items
        for item in items:
            inside = f"{relative}/{item.name}" if relative else item.name
            if item.is_dir(follow_symlinks=False) and inside not in listed:
                yield from tree(top, inside)


def _parent(path: str) -> str:
    end = path.rfind("/")
    return path[:end] if end > 0 else "."


def _lstat(path: Path | str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _same_mode(folder: Path | str, like: os.stat_result) -> None:
    if stat.S_IMODE(os.stat(folder).st_mode) != stat.S_IMODE(like.st_mode):
        os.chmod(folder, stat.S_IMODE(like.st_mode))


def _as_output(exc: OSError, staging: Path, out_dir: Path) -> Path:
    """The path an error names, in the output folder the author asked for: the staging
    folder is growthlog's business, not theirs."""
    try:
        inside = Path(os.fsdecode(exc.filename)).relative_to(staging)
    except (TypeError, ValueError):
        return out_dir
    return out_dir if inside.name in (STAGING_LIST, _temp_name(staging / STAGING_LIST).name) \
        else out_dir / inside


def _same_file(path: str, data: bytes) -> os.stat_result | None:
    """The lstat of a regular file (not a link to one) that holds these bytes: safe to
    hard-link; else None."""
    found = _lstat(path)
    return found if found is not None and stat.S_ISREG(found.st_mode) and _same_bytes(
        path, data) else None


def clear_staging(out_dir: Path) -> None:
    """Clear the staging folder: the old site after the exchange (a private build keeps
    none), one left by a build killed before it, or the old site a public build kept
    when the next build cannot use it. Files growthlog wrote there, links it made to the
    author's files (by the inode its list names) and links to files that are also in the
    output folder are removed; anything else is moved into the output folder, or, when
    something is already at that path, left where it is."""
    real, staging = out_dir.resolve(), staging_dir(out_dir)
    if _mode(staging) is None:
        return
    ours = {MANIFEST, JOURNAL, STAGING_LIST} | set(read_manifest(real))  # superseded there
    ours |= set(read_manifest(staging)) | (_read_journal(staging) or set())
    pending = _read_json(staging / STAGING_LIST).get("pending")  # any version's
    ours |= {str(p) for p in pending} if isinstance(pending, list) else set()
    listed = _read_list(staging)
    carried = listed.carried if listed is not None else {}
    folders = {p.as_posix() for path in ours for p in PurePosixPath(path).parents}
    folders |= listed.folders if listed is not None else set()
    for folder, dirs, names in os.walk(staging, topdown=False):
        here = Path(folder)
        relative = here.relative_to(staging)
        for name in [*names, *(d for d in dirs if os.path.islink(here / d))]:
            path, there, inside = here / name, real / relative / name, (relative / name).as_posix()
            found, beside = _lstat(path), _lstat(there)
            if inside in ours or name.endswith(TEMP_SUFFIX) or found is not None and (
                    found.st_ino in carried.get(inside, ())
                    or beside is not None and os.path.samestat(found, beside)):
                _unlink(path)
            elif beside is None:  # not growthlog's, and only here: moved, not lost
                with contextlib.suppress(OSError):
                    there.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(path, there)
        with contextlib.suppress(OSError):
            if (here != staging and not dirs and not names and relative.as_posix() not in folders
                    and _mode(real / relative) is None):
                (real / relative).mkdir(parents=True)  # an empty folder made during the build
            here.rmdir()


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False when the
    system or file system cannot."""
    import ctypes  # only here: a build into a new folder renames (1.2 ms of its start)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    done: int = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second),
                          rename_exchange)
    return done == 0


def _dumps(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _blockers(out_dir: Path, wanted: set[str], owned: set[str], *,
              there: _Survey | None = None) -> list[str]:
    """Stale files of ours that stand where this build needs a file or a folder (removed
    first); OutputRefused, before anything is written, when something not ours does.
    `there`: what the folder holds, as `_walk` listed it (else each path is looked at)."""
    blockers: set[str] = set()
    refused: list[str] = []
    if there is not None:  # only an item that is no page can be in a page's way
        ordered = sorted(wanted)
        files = sorted(p for p in there.files - wanted if _holds_any(ordered, p))
        folders = sorted(p for p in wanted if p in there.folders)
    else:
        base = os.fspath(out_dir)
        needed = {p for path in wanted for p in _parents(path)} - {"."}
        files = [p for p in sorted(needed)
                 if (mode := _mode(os.path.join(base, p))) is not None and not stat.S_ISDIR(mode)]
        folders = [p for p in sorted(wanted)
                   if (mode := _mode(os.path.join(base, p))) is not None and stat.S_ISDIR(mode)]
    for folder in files:
        if folder in owned:
            blockers.add(folder)
        else:
            refused.append(f"{folder} is a file where the site needs a folder")
    for path in folders:
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


def _mode(path: Path | str) -> int | None:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return None


def write_atomic(target: Path, data: bytes) -> None:
    """Write through a temp file and rename, so readers never see half a file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace(target, data)
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder should be
        raise GrowthlogError(f"could not write {target}: {exc.strerror or exc}") from None


def _replace(target: Path, data: bytes) -> None:
    """Write through a temp file and rename; OSError (the temp file removed) if it fails."""
    temp = _temp_name(target)
    try:
        temp.write_bytes(data)
        os.replace(temp, target)
    except OSError:
        _unlink(temp)
        raise


def _create(target: str, data: bytes) -> None:
    """A new file with these bytes where nothing is (never into a file there: O_EXCL);
    OSError, and the file removed, if it cannot be written whole."""
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
    except OSError:
        _unlink(Path(target))
        raise


def _renew(target: str, data: bytes) -> None:
    """A new file with these bytes at target, in the staging folder while its list says
    unsettled (a build killed here is cleared): never written into the file there (it
    could be a link to the site's), and not renamed over it, as ext4 then writes the new
    file out at once (auto_da_alloc: 4 ms for a 5 MB search index, a tenth of a one-edit
    build's write). A file under its temp name goes too (one put there by hand would go
    into the site with the exchange). OSError if it cannot be written whole."""
    _unlink(_temp_name(Path(target)))
    _unlink_file(target)
    _create(target, data)


def _unlink_file(target: str) -> None:
    # Not _unlink: only "not there" is let pass, so a failed unlink shows its own error,
    # not the "File exists" of the O_EXCL create after it.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(target)


def _temp_name(target: Path) -> Path:
    """A short, fixed-length temp name next to the target, so any legal name can be written
    and an interrupted build's temp files can be found again."""
    digest = hashlib.sha256(target.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return target.with_name(f".{digest}{TEMP_SUFFIX}")


def _same_bytes(path: Path | str, data: bytes) -> bool:
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
