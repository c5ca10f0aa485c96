"""Frozen dataclasses made without compiling what they need not, and their equality,
hash and repr by fields, written once.

On Python 3.11 @dataclass compiles each method it generates with an `exec` of its own:
`frozen=True` adds a __setattr__ and a __delattr__ to every class, eq=True an __eq__ and
a __hash__, repr=True a __repr__. For the eighty-odd classes a one-edit build loads,
the two that guard against assignment alone were about 8 ms of its start. So a class
here is declared with one of two decorators, both `@dataclass(slots=True)` underneath:

* `frozen`: equality, hash and repr from Value (equal to an object of its own class whose
  compared fields are equal, hashed on the fields @dataclass would hash, shown as
  @dataclass shows it): only its __init__ is compiled.
* `frozen_compared`: @dataclass's own __eq__ and __hash__ (the hash of a class that
  declares one, as HashedOnce's, stays), repr from Value: for the types a rebuild
  compares by the ten thousand (model.py's, render.py's page plans), whose equality
  must read their fields directly, not look them up as Value's does.

Both are frozen to the type checker: mypy (strict, run by CI over every module) refuses
any assignment to a field, as it does for `@dataclass(frozen=True)`. Python does not
guard them at run time (nothing compiled for it), and their __init__ stores each field
directly, about five times faster than a frozen dataclass's `object.__setattr__` calls.
Code that must set a field of a made object (unpickling, a body read later) says so with
`object.__setattr__`, as it had to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, eq_default=False, field_specifiers=(field,))
def frozen(cls: type[T]) -> type[T]:
    """A frozen dataclass with slots, comparing, hashing and shown as Value says."""
    return dataclass(slots=True, eq=False, repr=False)(cls)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen_compared(cls: type[T]) -> type[T]:
    """A frozen dataclass with slots and @dataclass's own __eq__ and __hash__."""
    make: Callable[[type[T]], type[T]] = dataclass(
        slots=True, repr=False, unsafe_hash="__hash__" not in cls.__dict__)
    return make(cls)


class Value:
    """Base of frozen dataclasses: those declared `frozen` take equality, hash and repr
    from it; `frozen_compared` ones (Plain and HashedOnce subclasses) the repr alone."""

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
