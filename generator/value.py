"""Frozen dataclasses made without compiling more than their __init__.

On Python 3.11 @dataclass compiles each method it generates with an `exec` of its own:
`frozen=True` adds a __setattr__ and a __delattr__ to every class, eq=True an __eq__ and
a __hash__, repr=True a __repr__. For the eighty-odd classes a one-edit build loads that
was about 10 ms of its start. A class declared `@frozen` (on Value) is
`@dataclass(slots=True, eq=False, repr=False)` underneath, and gets from here, without
compiling anything:

* equality: equal to an object of its own class whose compared fields are equal, read
  with one `operator.attrgetter` made for the class (a C call for all of them); a class
  that defines its own __eq__ is refused (TypeError), as it would be replaced;
* a hash on the fields @dataclass would hash, unless the class has one of its own or a
  base's (as HashedOnce's: hashed once, when made);
* a repr as @dataclass's, from Value.

It is frozen to the type checker: mypy (strict, run by CI over every module) refuses any
assignment to a field, as it does for `@dataclass(frozen=True)`. Python does not guard it
at run time (nothing compiled for it), and its __init__ stores each field directly, about
five times faster than a frozen dataclass's `object.__setattr__` calls. Code that must set
a field of a made object (unpickling, a body read later) says so with
`object.__setattr__`, as it had to.

`frozen` is the one decorator here: declare a frozen dataclass `@frozen` on Value, not
`@dataclass(frozen=True, slots=True)` (test_value fails on a class @dataclass compiles
more than an __init__ for); a mutable one `@dataclass(eq=False, repr=False)`, compared
by identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T]) -> type[T]:
    """A frozen dataclass with slots, equality, hash and repr as the module says."""
    if "__eq__" in cls.__dict__:  # (@dataclass keeps it; here it would be replaced)
        raise TypeError(f"{cls.__qualname__} defines __eq__: @frozen makes its own")
    made: type[T] = dataclass(slots=True, eq=False, repr=False)(cls)
    declared = fields(made)  # type: ignore[arg-type]
    compared = fields_getter(tuple(f.name for f in declared if f.compare))

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return bool(compared(self) == compared(other))

    __eq__.__qualname__ = f"{made.__qualname__}.__eq__"
    setattr(made, "__eq__", __eq__)  # noqa: B010 (mypy refuses a method assigned)
    if made.__hash__ is not object.__hash__:  # its own, or a base's (HashedOnce)
        return made
    hashed = fields_getter(tuple(f.name for f in declared
                                 if (f.compare if f.hash is None else f.hash)))

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    __hash__.__qualname__ = f"{made.__qualname__}.__hash__"
    setattr(made, "__hash__", __hash__)  # noqa: B010
    return made


def fields_getter(names: tuple[str, ...]) -> Callable[[object], tuple[object, ...]]:
    """The tuple of these fields of an object, as @dataclass's methods compare and hash
    (and build_cache.py pickles a Plain value with): attrgetter's, in C, but a tuple for
    one name (attrgetter gives its value bare) or none (it fails) as well."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda made: (one(made),)
    return lambda made: ()


class Value:
    """Base of the `frozen` dataclasses: their repr (`frozen` makes their equality and
    hash, for each class)."""

    __slots__ = ()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                          for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{self.__class__.__qualname__}({shown})"
