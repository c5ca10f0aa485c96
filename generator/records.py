"""Records by name on disk: a base file, and a journal of what changed since it.

Most of a build's state is one record per entry file (build_cache.py), and a build after
one edit changes one of them: writing them all again (12 MB at 1,000 entries) cost more
than the rest of such a build's work. So `save` appends only the records that changed,
and the names gone, to NAME.journal, in one write closed by a commit; it writes
NAME.base afresh, with every record, when there is no journal it can follow, when many
records changed, or when the journal has grown to a quarter of the base (at least 1 MiB).

A record may leave text for later: a type given to `save` (`reducers`) is pickled into
the base by its reducer, which can put text (an entry's bodies, say: most of the base)
in the base's tail, which a load does not unpickle: the object gets a `Later` that reads
it from the file when first asked, and checks it then against its own crc32 (a load
reads and checks the rest of the base only: at 1,000 entries 5.6 of its 16.8 MB). A
text that fails its check, or a base written into since the load (growthlog only ever
replaces one), raises StateChanged: the build that asked starts again without the state
(build.py). In the journal, records are pickled whole.

Each save has a new token. A commit names its own and the one it follows (the base's,
or the last commit's); a load follows one unbroken chain, and stops, trusting what came
before, at a frame cut short (a build killed while it wrote), one whose checksum fails,
or a commit that follows another (a build that appended meanwhile), and unpickles the
last version of each record the chain holds, no other. The caller keeps the
token of the save its other state belongs with and trusts nothing when it differs. The
base is its key and token, the tail, one pickle of the records, the tail's length and a
crc32 of all of it but the tail (checked before anything is unpickled): one that is
missing, damaged or stamped with another key reads as nothing.
"""

from __future__ import annotations

import contextlib
import copyreg
import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from generator.cache import write_cache_file
from generator.errors import StateChanged
from generator.value import Value, frozen

_MAGIC = b"growthlog records 4\n"
_CRC = struct.Struct("<I")
_TAIL = struct.Struct("<Q")
"""The length of the base's tail (after its token; the records after it), before its crc."""
_FRAME = struct.Struct("<cIII")
"""kind, length of the name, length of the data, crc32 of all of it but the crc."""
_RECORD, _GONE, _COMMIT = b"R", b"G", b"C"
_MOST_NAME = 1 << 16
_MOST_DATA = 1 << 31


class _Tail:
    """The open base file whose tail the Laters of one load read (open while one is held:
    growthlog replaces the file meanwhile, never changes it; `seen`: its stat when loaded,
    to tell when something else did)."""

    __slots__ = ("fd", "start", "size", "path", "seen")

    def __init__(self, fd: int, start: int, size: int, path: Path) -> None:
        self.fd, self.start, self.size, self.path = fd, start, size, path
        self.seen = os.fstat(fd)

    def check(self) -> None:
        """Raise StateChanged if the file was written into since it was loaded."""
        now, seen = os.fstat(self.fd), self.seen
        # A replace (unlink) of the path changes the file's ctime, and its link count.
        if now.st_size != seen.st_size or now.st_mtime_ns != seen.st_mtime_ns or (
                now.st_ctime_ns != seen.st_ctime_ns and now.st_nlink == seen.st_nlink):
            raise self.changed()

    def changed(self) -> StateChanged:
        return StateChanged(
            f"{self.path} was changed while growthlog was using it (copied over, or "
            f"rewritten in place): delete {self.path.parent} and build again")

    def damaged(self) -> StateChanged:
        return StateChanged(f"{self.path} is damaged: delete {self.path.parent} and build "
                            "again")

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Later:
    """Text a record left in the base's tail: read, checked and decoded, when called."""

    __slots__ = ("_tail", "_at", "sizes", "crc")

    def __init__(self, tail: _Tail, at: int, sizes: tuple[int, ...], crc: int) -> None:
        self._tail, self._at, self.sizes, self.crc = tail, at, sizes, crc

    def __call__(self) -> tuple[str, ...]:
        data = self.data()
        texts: list[str] = []
        at = 0
        for size in self.sizes:
            texts.append(data[at:at + size].decode())
            at += size
        return tuple(texts)

    def data(self) -> bytes:
        """The texts' bytes as stored, one after the other (their crc32: `crc`)."""
        size = sum(self.sizes)
        if not 0 <= self._at <= self._tail.size - size:
            raise self._tail.damaged()
        data = os.pread(self._tail.fd, size, self._tail.start + self._at)
        if len(data) != size:
            raise self._tail.changed()
        self._tail.check()  # after the read: a change before or during it shows
        if zlib.crc32(data) != self.crc:
            raise self._tail.damaged()
        return data


class Span:
    """Where an object's texts went in the tail being written, and their crc32: pickled,
    a Later when loaded."""

    __slots__ = ("at", "sizes", "crc")

    def __init__(self, at: int, sizes: tuple[int, ...], crc: int) -> None:
        self.at, self.sizes, self.crc = at, sizes, crc

    def __reduce__(self) -> tuple[object, ...]:
        return _later, (self.at, self.sizes, self.crc)


def _later(at: int, sizes: tuple[int, ...], crc: int) -> Later:
    """What a Span is pickled as; only a load's unpickler makes one (_Unpickler)."""
    raise pickle.UnpicklingError("text for later outside a records base")


Reducer = Callable[[Any, Span | None], "tuple[Callable[..., object], tuple[object, ...]]"]
"""How `save` pickles a type into a base: as pickle's reduce, given where the object's
texts went (None: it has none there)."""


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, tail: _Tail) -> None:
        super().__init__(file)
        self._tail = tail

    def find_class(self, module: str, name: str) -> object:
        if module == __name__ and name == _later.__name__:
            return self._later
        return super().find_class(module, name)

    def _later(self, at: int, sizes: tuple[int, ...], crc: int) -> Later:
        # (As save wrote them: the pickle was checked. Where they lead is checked when read.)
        return Later(self._tail, at, sizes, crc)


@frozen
class Loaded(Value):
    """What a load found: the records, the token of the last save, and how far each file
    was read and trusted (where a journal is to be appended to)."""

    records: dict[str, object]
    token: str
    base: int
    journal: int
    """Bytes of NAME.journal read and trusted (0: there is none)."""
    name: str
    """The NAME it was loaded or saved as: a save as another writes a base of its own."""


def load(folder: Path, name: str, key: str) -> Loaded | None:
    """The records as the last save left them (None: no base to trust)."""
    head = _head(key)
    try:
        with open(folder / f"{name}.base", "rb") as file:
            base = os.fstat(file.fileno()).st_size
            if file.read(len(head)) != head:
                return None
            line = file.readline(64)
            token = line.rstrip(b"\n").decode("ascii")
            start = file.tell()
            stop = base - _CRC.size - _TAIL.size  # where the records stop
            file.seek(stop)
            trailer = file.read(_TAIL.size + _CRC.size)
            end = start + _TAIL.unpack(trailer[:_TAIL.size])[0]  # of the tail: records next
            if not start <= end <= stop:
                return None
            crc = _crc_of(file, end, stop, zlib.crc32(line, zlib.crc32(head)))
            if crc is None or zlib.crc32(trailer[:_TAIL.size], crc) != _CRC.unpack(
                    trailer[_TAIL.size:])[0]:
                return None
            file.seek(end)
            tail = _Tail(os.dup(file.fileno()), start, end - start, folder / f"{name}.base")
            records = _Unpickler(file, tail).load()  # as read: never all its bytes in memory
            if file.tell() != stop or not isinstance(records, dict):
                return None
    except Exception:  # noqa: BLE001 - missing, or damaged in any way the check missed
        return None
    journal = 0
    latest: dict[str, bytes | None] = {}  # each record as its last commit left it
    try:
        with open(folder / f"{name}.journal", "rb") as file:
            if file.read(len(head)) == head:
                journal = len(head)
                while (group := _group(file, token)) is not None:
                    token, changes = group
                    latest.update(changes)
                    journal = file.tell()
    except OSError:
        pass
    # Only the last version of each is unpickled: an entry saved a hundred times since
    # the base is one record to make, not a hundred (50 us each at 1,000 entries).
    for record, data in latest.items():
        if data is None:
            records.pop(record, None)
            continue
        try:
            records[record] = pickle.loads(data)
        except Exception:  # noqa: BLE001 - damaged in a way the checksums missed
            return None
    return Loaded(records, token, base, journal, name)


def save(folder: Path, name: str, key: str, records: Mapping[str, object],
         changed: Iterable[str], last: Loaded | None, *,
         later: Callable[[], Mapping[int, tuple[str, ...] | Later]] | None = None,
         reducers: Mapping[type, Reducer] | None = None) -> Loaded | None:
    """Keep `records`; `changed`: those that differ from `last`'s (what this process
    loaded or saved, None: nothing; loaded or saved as another name, taken as nothing: a
    journal is appended only to a base of its own name). In a base, `later()`'s texts (by
    the id of the object of the records they are of) go in the tail, and `reducers` pickle
    each of those types (with the Span of its texts, if any). What a load would now find;
    None when nothing could be written."""
    token = os.urandom(8).hex()
    journal = folder / f"{name}.journal"
    if last is not None and last.name == name:
        changed = set(changed)
        gone = [record for record in last.records if record not in records]
        if len(changed) + len(gone) <= max(1, len(records) // 8):
            appended = _append(journal, key, last, token,
                               ((r, records[r]) for r in sorted(changed)), gone)
            if appended is not None:
                return Loaded(dict(records), token, last.base, appended, name)
    size = 0

    def write(file: BinaryIO) -> None:  # pickled as written: never all in memory at once
        nonlocal size
        checked = _Checked(file)
        checked.write(_head(key) + token.encode() + b"\n")
        spans: dict[int, Span] = {}
        at = 0
        for ident, texts in (later() if later is not None else {}).items():
            if isinstance(texts, Later):  # as stored (and checked): not decoded, encoded again
                data, sizes, crc = texts.data(), texts.sizes, texts.crc
            else:
                parts = [text.encode() for text in texts]
                data, sizes = b"".join(parts), tuple(map(len, parts))
                crc = zlib.crc32(data)
            file.write(data)  # (each checked with its own crc when read: not the base's)
            spans[ident] = Span(at, sizes, crc)
            at += len(data)
        pickler = pickle.Pickler(checked, pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = {**copyreg.dispatch_table, **{
            kind: _reducing(reduce, spans) for kind, reduce in (reducers or {}).items()}}
        pickler.dump(dict(records))
        checked.write(_TAIL.pack(at))
        file.write(_CRC.pack(checked.crc))
        size = file.tell()

    write_cache_file(folder / f"{name}.base", write)
    with contextlib.suppress(OSError):  # it followed the base just replaced
        journal.unlink()
    return Loaded(dict(records), token, size, 0, name) if size else None


def _reducing(reduce: Reducer, spans: Mapping[int, Span]
              ) -> Callable[[Any], tuple[Callable[..., object], tuple[object, ...]]]:
    return lambda value: reduce(value, spans.get(id(value)))


def _append(journal: Path, key: str, last: Loaded, token: str,
            changed: Iterable[tuple[str, object]], gone: Iterable[str]) -> int | None:
    """Append one commit to the journal `last` was loaded with: its new length; None when
    it cannot (another build changed it since, or it would outgrow a quarter of the base,
    at least 1 MiB)."""
    data = b"".join([*(_frame(_RECORD, record, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
                       for record, value in changed),
                     *(_frame(_GONE, record, b"") for record in gone),
                     _frame(_COMMIT, "", f"{token}\0{last.token}".encode())])
    if last.journal + len(data) > max(last.base // 4, 1 << 20):
        return None
    try:
        handle = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        size = os.fstat(handle).st_size
        if size != last.journal:
            return None
        if size == 0:
            data = _head(key) + data
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view):]
    except OSError:
        return None  # what part of it was written ends no chain: its commit is missing
    finally:
        os.close(handle)
    return size + len(data)


class _Checked:
    """A file written through, with the crc32 of all written so far."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.crc = 0

    def write(self, data: bytes | memoryview) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self._file.write(data)


def _crc_of(file: BinaryIO, start: int, stop: int, crc: int) -> int | None:
    """The crc32 `crc` continued over the file's bytes from `start` to `stop` (None: the
    file is shorter)."""
    file.seek(start)
    left = stop - start
    buffer = bytearray(1 << 18)  # one buffer read into again: no fresh memory a chunk
    view = memoryview(buffer)
    while left > 0:
        got = file.readinto(view[:min(left, len(buffer))])  # type: ignore[attr-defined]
        if not got:
            return None
        crc, left = zlib.crc32(view[:got], crc), left - got
    return crc


def _head(key: str) -> bytes:
    return _MAGIC + key.encode() + b"\n"


def _frame(kind: bytes, name: str, data: bytes) -> bytes:
    encoded = name.encode()
    header = _FRAME.pack(kind, len(encoded), len(data), 0)[:-4]
    crc = zlib.crc32(data, zlib.crc32(encoded, zlib.crc32(header)))
    return header + struct.pack("<I", crc) + encoded + data


def _group(file: BinaryIO, after: str) -> tuple[str, dict[str, bytes | None]] | None:
    """The records of the next commit in `file`, pickled (None: gone), if it is whole and
    follows `after`; None at the end, or at anything else."""
    changes: dict[str, bytes | None] = {}
    while True:
        header = file.read(_FRAME.size)
        if len(header) != _FRAME.size:
            return None
        kind, named, size, crc = _FRAME.unpack(header)
        if named > _MOST_NAME or size > _MOST_DATA:
            return None
        body = file.read(named + size)
        if len(body) != named + size or zlib.crc32(
                body, zlib.crc32(header[:-4])) != crc:
            return None
        record, data = body[:named].decode("utf-8", "replace"), body[named:]
        if kind == _RECORD:
            changes[record] = data
        elif kind == _GONE:
            changes[record] = None
        elif kind == _COMMIT:
            token, _, follows = data.decode("ascii", "replace").partition("\0")
            return (token, changes) if follows == after and token else None
        else:
            return None
