"""Records by name on disk: a base file, and a journal of what changed since it.

Most of a build's state is one record per entry file (build_cache.py), and a build after
one edit changes one of them: writing them all again (12 MB at 1,000 entries) cost more
than the rest of such a build's work. So `save` appends only the records that changed,
and the names gone, to NAME.journal, in one write closed by a commit; it writes
NAME.base afresh, with every record, when there is no journal it can follow, when many
records changed, or when the journal has grown to a quarter of the base (at least 1 MiB).

Each save has a new token. A commit names its own and the one it follows (the base's,
or the last commit's); a load follows one unbroken chain, and stops, trusting what came
before, at a frame cut short (a build killed while it wrote), one whose checksum fails,
or a commit that follows another (a build that appended meanwhile). The caller keeps the
token of the save its other state belongs with and trusts nothing when it differs. The
base is one pickle, ending in a crc32 of all before it (checked before it is unpickled):
one that is missing, damaged or stamped with another key reads as nothing.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from generator.cache import write_cache_file
from generator.value import Value

_MAGIC = b"growthlog records 2\n"
_CRC = struct.Struct("<I")
_FRAME = struct.Struct("<cIII")
"""kind, length of the name, length of the data, crc32 of all of it but the crc."""
_RECORD, _GONE, _COMMIT = b"R", b"G", b"C"
_MOST_NAME = 1 << 16
_MOST_DATA = 1 << 31


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Loaded(Value):
    """What a load found: the records, the token of the last save, and how far each file
    was read and trusted (where a journal is to be appended to)."""

    records: dict[str, object]
    token: str
    base: int
    journal: int
    """Bytes of NAME.journal read and trusted (0: there is none)."""


def load(folder: Path, name: str, key: str) -> Loaded | None:
    """The records as the last save left them (None: no base to trust)."""
    head = _head(key)
    try:
        with open(folder / f"{name}.base", "rb") as file:
            base = os.fstat(file.fileno()).st_size
            if file.read(len(head)) != head or not _checked(file, base):
                return None
            file.seek(len(head))
            token = file.readline(64).rstrip(b"\n").decode("ascii")
            records = pickle.load(file)  # as it is read: never all its bytes in memory
            if file.tell() != base - _CRC.size or not isinstance(records, dict):
                return None
    except Exception:  # noqa: BLE001 - missing, or damaged in any way the check missed
        return None
    journal = 0
    try:
        with open(folder / f"{name}.journal", "rb") as file:
            if file.read(len(head)) == head:
                journal = len(head)
                while (group := _group(file, token)) is not None:
                    token, changes = group
                    for record, value in changes.items():
                        if value is _GONE_MARK:
                            records.pop(record, None)
                        else:
                            records[record] = value
                    journal = file.tell()
    except OSError:
        pass
    return Loaded(records, token, base, journal)


def save(folder: Path, name: str, key: str, records: Mapping[str, object],
         changed: Iterable[str], last: Loaded | None) -> Loaded | None:
    """Keep `records`; `changed`: those that differ from `last`'s (what this process
    loaded or saved, None: nothing). What a load would now find; None when nothing could
    be written."""
    token = os.urandom(8).hex()
    journal = folder / f"{name}.journal"
    if last is not None:
        changed = set(changed)
        gone = [record for record in last.records if record not in records]
        if len(changed) + len(gone) <= max(1, len(records) // 8):
            appended = _append(journal, key, last, token,
                               ((r, records[r]) for r in sorted(changed)), gone)
            if appended is not None:
                return Loaded(dict(records), token, last.base, appended)
    size = 0

    def write(file: BinaryIO) -> None:  # pickled as written: never all in memory at once
        nonlocal size
        checked = _Checked(file)
        checked.write(_head(key) + token.encode() + b"\n")
        pickle.dump(dict(records), checked, pickle.HIGHEST_PROTOCOL)
        file.write(_CRC.pack(checked.crc))
        size = file.tell()

    write_cache_file(folder / f"{name}.base", write)
    with contextlib.suppress(OSError):  # it followed the base just replaced
        journal.unlink()
    return Loaded(dict(records), token, size, 0) if size else None


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

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        return self._file.write(data)


def _checked(file: BinaryIO, size: int) -> bool:
    """Whether the file's bytes before its last four have the crc32 these hold."""
    file.seek(0)
    crc, left = 0, size - _CRC.size
    while left > 0:
        chunk = file.read(min(left, 1 << 20))
        if not chunk:
            return False
        crc, left = zlib.crc32(chunk, crc), left - len(chunk)
    found = file.read(_CRC.size)
    return len(found) == _CRC.size and _CRC.unpack(found)[0] == crc


def _head(key: str) -> bytes:
    return _MAGIC + key.encode() + b"\n"


def _frame(kind: bytes, name: str, data: bytes) -> bytes:
    encoded = name.encode()
    header = _FRAME.pack(kind, len(encoded), len(data), 0)[:-4]
    crc = zlib.crc32(data, zlib.crc32(encoded, zlib.crc32(header)))
    return header + struct.pack("<I", crc) + encoded + data


_GONE_MARK = object()
"""In a commit's changes: the record is gone."""


def _group(file: BinaryIO, after: str) -> tuple[str, dict[str, object]] | None:
    """The records of the next commit in `file`, if it is whole and follows `after`;
    None at the end, or at anything else."""
    changes: dict[str, object] = {}
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
            try:
                changes[record] = pickle.loads(data)
            except Exception:  # noqa: BLE001 - damaged in a way the checksum missed
                return None
        elif kind == _GONE:
            changes[record] = _GONE_MARK
        elif kind == _COMMIT:
            token, _, follows = data.decode("ascii", "replace").partition("\0")
            return (token, changes) if follows == after and token else None
        else:
            return None
