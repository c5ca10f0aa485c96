"""Equality, hash and repr by fields for frozen dataclasses, written once.

@dataclass generates `__eq__`, `__hash__` and `__repr__` for each class it makes, and
Python 3.11 compiles each of them with an `exec` of its own: for the sixty-odd classes a
build loads, about 9 ms of its start (a cold build of 100 entries takes about 0.25 s).
A class declared `@dataclass(frozen=True, slots=True, eq=False, repr=False)` on `Value`
gets the same three from here: equal to an object of its own class whose compared fields
are equal, hashed on the fields @dataclass would hash, shown as @dataclass shows it. The
model types (model.py) and page plans (render.py's PagePlan and PageInfo) are declared
with repr=False only and keep @dataclass's equality, and its hash but for the four
HashedOnce types (Entry among them: hashed once, when made): a rebuild compares them by
the ten thousand, and these look the fields up each time.
"""

from __future__ import annotations

from dataclasses import fields


class Value:
    """Base of frozen dataclasses: those declared with eq=False and repr=False take all
    three from it; Plain and HashedOnce subclasses (repr=False only) take the repr alone."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        compared = [f.name for f in fields(self) if f.compare]  # type: ignore[arg-type]
        return [getattr(self, name) for name in compared] == \
            [getattr(other, name) for name in compared]

    def __hash__(self) -> int:
        return hash(tuple([getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
                           if (f.compare if f.hash is None else f.hash)]))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                          for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{self.__class__.__qualname__}({shown})"
