"""[speed] Frozen dataclasses (value.frozen) get equality, hash and repr made once, from
value.py, and no guard against assignment: not compiled for each class by @dataclass (an
exec per method on Python 3.11). The same results as the methods @dataclass generates."""

from __future__ import annotations

import dataclasses
import importlib
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from generator.model import HashedOnce
from generator.value import Value, frozen

MODULES = tuple(f"generator.{path.stem}" for path in sorted(
    (Path(__file__).resolve().parent.parent / "generator").glob("*.py"))
    if path.stem not in ("__init__", "__main__"))
BY_IDENTITY = {"generator.theme.Theme"}
"""Compared by identity (a new Theme after any theme file changed), as declared."""


def _frozen_classes(modules: tuple[str, ...]) -> list[type]:
    for name in modules:
        importlib.import_module(name)
    found: dict[str, type] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("generator"):
            continue
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) \
                    and value.__module__ == name and (
                        issubclass(value, Value) or value.__dataclass_params__.frozen):  # type: ignore[attr-defined]
                found[f"{name}.{value.__qualname__}"] = value
    return [found[key] for key in sorted(found) if key not in BY_IDENTITY]


def _value_classes() -> list[type]:
    return [cls for cls in _frozen_classes(MODULES) if issubclass(cls, Value)]


def test_frozen_classes_are_values_and_shown_by_value() -> None:
    classes = _frozen_classes(MODULES)
    assert len(classes) > 60
    assert [cls.__qualname__ for cls in classes if not issubclass(cls, Value)] == []
    assert [cls.__qualname__ for cls in classes if "__repr__" in cls.__dict__] == []


_COMPILED = """
import importlib, json, sys, types
compiled = {}
def hook(event, args):
    if event != "exec" or not isinstance(args[0], types.CodeType):
        return
    made = [d.co_name for c in args[0].co_consts if isinstance(c, types.CodeType)
            and c.co_name == "__create_fn__" for d in c.co_consts
            if isinstance(d, types.CodeType)]
    if made:  # the class @dataclass is making: _process_class's
        frame = sys._getframe(1)
        while frame.f_code.co_name != "_process_class":
            frame = frame.f_back
        cls = frame.f_locals["cls"]
        compiled.setdefault(f"{cls.__module__}.{cls.__qualname__}", []).extend(made)
sys.addaudithook(hook)
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(compiled))
"""


def test_class_creation_compiles_only_init() -> None:
    """What @dataclass compiles (an exec each) while every module loads, as Python's audit
    hook sees it in a fresh process: for a frozen class, its __init__ alone; no
    __setattr__ and __delattr__ (a frozen dataclass's run-time guard: two for each class,
    ~8 ms of a one-edit build's start), no __eq__, __hash__ or __repr__ (~2.5 ms); nor
    for any other dataclass (the mutable ones are compared by identity, shown as objects)
    but the guard of Theme, frozen at run time."""
    found = subprocess.run([sys.executable, "-c", _COMPILED, *MODULES], check=True,
                           capture_output=True, text=True).stdout
    compiled: dict[str, list[str]] = json.loads(found)
    frozen = {f"{cls.__module__}.{cls.__qualname__}" for cls in _value_classes()}
    assert len(frozen) > 60 and frozen <= set(compiled)
    guarded = {"__init__", "__setattr__", "__delattr__"}  # (frozen at run time: Theme)
    wrong = {name: methods for name, methods in compiled.items()
             if not set(methods) <= (guarded if name in BY_IDENTITY else {"__init__"})}
    assert wrong == {}, (
        "@dataclass compiled these methods: declare a frozen dataclass as `@frozen` on "
        "Value (`from generator.value import Value, frozen`), not "
        "@dataclass(frozen=True, slots=True) as STYLE.md still says; a mutable one as "
        "@dataclass(eq=False, repr=False) (value.py's docstring)")
    assert all(cls.__setattr__ is object.__setattr__ for cls in _value_classes())


def test_model_types_compare_with_equality_made_for_the_class() -> None:
    """Compared by the ten thousand in a rebuild where objects differ (the site and page
    plans of the last build against this one's): with a getter of their fields made once
    for the class by `frozen` (Value has no equality or hash of its own to fall back on)."""
    from generator.model import ActionItem, Entry, Lesson, LessonPoint, Month, TagRef
    from generator.render import PagePlan

    for kind in (Entry, TagRef, Month, PagePlan):
        assert kind.__dict__["__eq__"].__qualname__ == f"{kind.__qualname__}.__eq__", kind
    assert TagRef.__dict__["__hash__"].__qualname__ == "TagRef.__hash__"
    unmade = [cls.__qualname__ for cls in _value_classes()  # (Value has no __eq__ or hash)
              if "__eq__" not in cls.__dict__ or cls.__hash__ in (object.__hash__, None)]
    assert unmade == []
    hashed_once = (Entry, Lesson, ActionItem, LessonPoint)  # (inherited: frozen keeps it)
    assert [kind.__hash__ for kind in hashed_once] == [HashedOnce.__hash__] * 4


def test_a_class_with_an_equality_of_its_own_is_refused() -> None:
    """`frozen` makes every class's __eq__: one of the class's own would be lost (and
    the class left without a hash, as Python unsets it beside an __eq__)."""
    with pytest.raises(TypeError, match="Mine defines __eq__"):
        @frozen
        class Mine(Value):
            """Compared on its name only."""

            name: str
            note: str

            def __eq__(self, other: object) -> bool:
                return isinstance(other, Mine) and other.name == self.name


def _twin(cls: type) -> type:
    """The same fields in a class whose eq, hash and repr @dataclass generates."""
    twin = dataclasses.make_dataclass(cls.__name__, [
        (f.name, object, dataclasses.field(compare=f.compare, hash=f.hash, repr=f.repr))
        for f in dataclasses.fields(cls)], frozen=True)
    twin.__qualname__ = cls.__qualname__
    return twin


def _made(cls: type, values: dict[str, object]) -> object:
    made = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(made, name, value)
    if issubclass(cls, HashedOnce):
        object.__setattr__(made, "_hash", 0)
    return made


@pytest.mark.parametrize("cls", _value_classes(), ids=lambda cls: cls.__qualname__)
def test_equality_hash_and_repr_are_those_dataclass_generates(cls: type) -> None:
    rng = random.Random(cls.__qualname__)
    pool: list[object] = [0, 1, "a", "b", (), ("a", 1), None, 2.5, frozenset({"x"})]
    twin = _twin(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for _ in range(60):
        left = {name: rng.choice(pool) for name in names}
        right = dict(left) if rng.random() < 0.5 else {
            name: value if rng.random() < 0.7 else rng.choice(pool)
            for name, value in left.items()}
        ours, theirs = (_made(cls, left), _made(cls, right)), (twin(**left), twin(**right))
        assert (ours[0] == ours[1]) == (theirs[0] == theirs[1])
        assert (ours[0] != ours[1]) == (theirs[0] != theirs[1])
        assert repr(ours[0]) == repr(theirs[0])
        if not issubclass(cls, HashedOnce):  # (hashed once on a few fields, model.py)
            assert hash(ours[0]) == hash(theirs[0])
        assert ours[0] != theirs[0]  # another class: never equal
        assert ours[0] != object()


def test_a_value_pickles_and_compares_as_before(tmp_path: Path) -> None:
    """A model type across the build cache on disk: equal after the round trip."""
    import pickle

    from generator.model import TagRef

    tag = TagRef("sql", "SQL")
    again = pickle.loads(pickle.dumps(tag))
    assert again == tag and hash(again) == hash(tag) and again is not tag
    assert repr(tag) == "TagRef(slug='sql', name='SQL')"
    assert tag != TagRef("sql", "Sql") and {tag, again} == {tag}


def test_every_dataclass_has_a_docstring_of_its_own() -> None:
    """@dataclass writes one for a class without (its name and inspect.signature's
    text): about 0.07 ms of a build's start for each."""
    for name in MODULES:
        importlib.import_module(name)
    missing = [f"{name}.{value.__qualname__}" for name, module in list(sys.modules.items())
               if name.startswith("generator") for value in vars(module).values()
               if isinstance(value, type) and dataclasses.is_dataclass(value)
               and value.__module__ == name
               and (value.__doc__ or "").startswith(f"{value.__name__}(")]
    assert missing == []
