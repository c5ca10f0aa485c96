"""Mutation testing: change one thing in a module, run its tests, and count what survives.

    nice -n 10 python benchmarks/mutation.py generator/urls.py [--json FILE]

Each mutant is one small change to the module's syntax tree (a comparison or boolean
operator flipped, a constant changed, a statement dropped, a return value replaced, an
`if` made unconditional) in a copy of the repository; the module's tests (TESTS below,
`-x`, in stages) must fail. Docstrings, `description=` texts and annotations are left
alone. Survivors judged equivalent (EQUIVALENT below, each with the reason) leave the
denominator. Prints each survivor and, per stage, the share of behaviour-changing mutants
killed; `--json FILE` writes them too. Minutes per module: not part of .ci/run.

Each stage runs once unmutated first, traced: a mutant inside a function then runs only the
tests that ran one of its lines (with the fixtures they use), in their usual order; a test
that forks or starts a process runs for every mutant, and so does every test for a change
run at import (a constant, a class body). `--every-test` runs them all (urls.py: the same
result). See docs/testing.md.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pytest import hookimpl as pytest_hookimpl

REPO = Path(__file__).resolve().parent.parent
USERS = "tests of its users"
"""The label of a stage run whole for every mutant that reaches it: its tests are slow to
trace and start processes (whose lines are not traced), so no test could be left out."""
# The tests of each module in stages, as (label, files): the module's own tests first, then
# the tests added to close the gaps earlier runs found, then the tests of the modules that
# use it (what else a developer runs after changing it). A mutant is killed at the first
# stage that fails, so one run gives the score with the first stage only, with the first
# two, and so on: before and after each round of gap tests.
TESTS: dict[str, list[tuple[str, list[str]]]] = {
    "generator/schema.py": [
        ("module tests", ["tests/test_schema.py", "tests/test_entries.py",
                          "tests/test_sources.py"]),
        ("gap tests, 1 Dec", ["tests/test_unknown_keys.py"]),
        ("gap tests, 4 Dec", ["tests/test_schema_gaps.py"]),
        (USERS, ["tests/test_import.py", "tests/test_bringing_notes.py",
                 "tests/test_readers.py", "tests/test_config.py", "tests/test_scaffold.py",
                 "tests/test_cli.py"])],
    "generator/output.py": [
        ("module tests", ["tests/test_output.py", "tests/test_output_swap.py"]),
        ("gap tests, 1 Dec", ["tests/test_output_behaviour.py"]),
        ("gap tests, 4 Dec", ["tests/test_output_gaps.py"]),
        (USERS, ["tests/test_durable.py"])],
    "generator/front_matter.py": [
        ("module tests", ["tests/test_sources.py", "tests/test_bringing_notes.py"]),
        ("gap tests, 4 Dec", ["tests/test_front_matter.py"]),
        (USERS, ["tests/test_import.py", "tests/test_fuzz.py"])],
    "generator/urls.py": [
        ("module tests", ["tests/test_urls.py"]),
        ("gap tests, 1 Dec", ["tests/test_urls_mutants.py"])],
}
# Surviving mutants read and judged to change no behaviour (module → (function, change) →
# why): left out of the score's denominator, and listed apart so each judgement can be
# checked again. A survivor not listed here is a gap in the tests.
_FALSY = "returns None for False: every caller only tests the result's truth"
_SIZE = "a file of another size never holds the same bytes: reading it says so too, slower"
_NO_FOLDER = "os.walk of a missing folder yields nothing: the same nothing, a stat later"
_WALK_ONLY = ("every path this refuses has an empty part, which the loop below refuses with "
              "the same words")
_UNREAD_VERSION = "the file's version is written for a later reader; nothing reads it yet"
_LIBC = ("ctypes converts these arguments (int, bytes, int) and the int result the same way "
         "by default on Linux")
_JOURNAL_FIRST = ("removing a file of ours makes nothing the next build must know of; the "
                  "journal is still written before the first write (start() there)")
EQUIVALENT: dict[str, dict[tuple[str, str], str]] = {
    "generator/urls.py": {
        ("Urls.href", "if True in `if quoted is None:`"):
            "quotes the path again instead of taking it from the memo: the same href, slower",
    },
    "generator/schema.py": {
        ("_Strict", "True -> False in `True`"):
            "frozen: nothing assigns to parsed front matter (mypy would refuse it)",
    },
    "generator/output.py": {
        ("<module>", "if True in `if TYPE_CHECKING:`"):
            "imports render.py at run time too: the same names, loaded sooner",
        **{("WriteReport", f"True -> False in `True` ({n} of 2)"):
           "frozen/slots: nothing sets a field or adds one (mypy would refuse it)"
           for n in (1, 2)},
        ("_invalid", "drop `if not path or path.startswith('/') or path.endswith('/'):`"):
            _WALK_ONLY,
        ("_invalid", "drop `return 'not a file path inside the output folder'` (1 of 2)"):
            _WALK_ONLY,
        ("_invalid", "Or -> And in `not path or path.startswith('/') or path.endswith('/')`"):
            _WALK_ONLY,
        ("_invalid", "'/' -> 'XX/XX' in `'/'` (1 of 3)"): _WALK_ONLY,
        ("_invalid", "'/' -> 'XX/XX' in `'/'` (2 of 3)"): _WALK_ONLY,
        ("_write_in_place", "drop `start()` (2 of 5)"): _JOURNAL_FIRST,  # blockers removed
        ("_write_in_place", "drop `start()` (4 of 5)"): _JOURNAL_FIRST,  # stale files removed
        ("_write_in_place", "drop `start()` (5 of 5)"):
            "writing the manifest makes nothing the next build must know of, and its temp "
            "file is always cleared",
        ("_write_in_place", "if True in `if started:`"):
            "without a start() there is no journal to remove (an old one means interrupted, "
            "which starts)",
        ("_write_swapped", "if True in `if mode is not None:` (2 of 2)"):
            "with no folder yet, os.walk finds nothing to link",
        ("_write_swapped", "if True in `if mode is not None:` (1 of 2)"):
            "with no folder yet, _blockers finds nothing, and the early return needs an empty "
            "site, which no build makes",
        ("_write_swapped", "False -> True in `False`"):
            "hard-links only regular files (lstat): following a link there changes nothing",
        **{("_write_swapped", f"{change} ({n} of 2)"): _UNREAD_VERSION for n in (1, 2)
           for change in ("'version' -> 'XXversionXX' in `'version'`", "1 -> 2 in `1`")},
        ("_write_in_place.start", "'version' -> 'XXversionXX' in `'version'`"): _UNREAD_VERSION,
        ("_write_in_place.start", "1 -> 2 in `1`"): _UNREAD_VERSION,
        ("_holds_other_than", "return None in `return False`"): _FALSY,
        ("_holds_other_than", "drop `return False`"): _FALSY,
        ("_invalid", "drop `return None`"): "the function's end returns None anyway",
        ("_parents", "0 -> 1 in `0` (2 of 2)"):
            "a valid output path never starts with '/': no slash to find at 0",
        ("_link_others", "False -> True in `False`"): (
            "os.link does not follow a symbolic link on Linux either way (CPython calls "
            "link(2)): the same link"),
        ("_write_swapped", "return None in `return WriteReport((), len(current), ())`"):
            "the in-place writer then finds the same nothing to do, and touches nothing",
        ("_same_bytes", "drop `if os.stat(path).st_size != len(data):`"): _SIZE,
        ("_same_bytes", "drop `return False`"): _SIZE,
        ("_same_bytes", "return None in `return False` (1 of 2)"): _FALSY,
        ("_same_bytes", "return None in `return False` (2 of 2)"): _FALSY,
        ("_remove", "return None in `return False`"): _FALSY,
        ("_remove", "if True in `if mode is not None and (not stat.S_ISDIR(mode)):`"):
            "unlinking nothing or a folder fails, quietly, and `removed` stays False",
        ("_remove", "And -> Or in `mode is not None and (not stat.S_ISDIR(mode))`"):
            "unlinking nothing or a folder fails, quietly, and `removed` stays False",
        ("_remove", "And -> Or in `parent != out_dir and parent.is_dir() and (not any(parent.it`"):
            "the output folder holds the last manifest while stale files go: never empty there",
        ("_blockers", "if True in `if mode is not None and stat.S_ISDIR(mode):`"):
            "a file or nothing at the path holds no file: the same answer, a scan more",
        ("_blockers", "'.' -> 'XX.XX' in `'.'`"):
            "'.' is the output folder itself, a folder: it passes the check either way",
        ("clear_staging", "drop `if _mode(staging) is None:`"): _NO_FOLDER,
        ("clear_staging", "drop `return`"): _NO_FOLDER,
        ("_exchange", "drop `renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.`"):
            _LIBC,
        ("_exchange", "drop `renameat2.restype = ctypes.c_int`"): _LIBC,
        ("_exchange", "True -> False in `True`"): "use_errno: errno is never read",
        ("_exchange", "100 -> 101 in `100`"):
            "renameat2 ignores the folder descriptor for absolute paths, and both are (resolved)",
        ("_exchange", "return None in `return False`"): _FALSY,
        ("_dumps", "True -> False in `True`"):
            "sort_keys: the manifest's files are added in sorted order; the other keys come in a "
            "fixed order too, so the bytes stay deterministic",
    },
    "generator/front_matter.py": {
        ("parse_toml", "'.' -> 'XX.XX' in `'.'`"):
            "tomllib's reasons (3.11) end with no full stop to strip",
        ("parse_toml", "'invalid TOML' -> 'XXinvalid TOMLXX' in `'invalid TOML'`"):
            "tomllib always says why: the words for an empty reason are never shown",
        ("FrontMatterError.__init__", "drop `super().__init__(reason)`"):
            "str() of the error is never shown: problems use .reason and .line",
        ("_json_lines", "'{[' -> 'XX{[XX' in `'{['`"):
            "a JSON value never starts with X: the same two openings match",
        **{("_json_lines", f"0 -> 1 in `0` ({n} of 3)"):
           "counts line breaks from the second character: the first is always '{'"
           for n in (2, 3)},
    },
}
FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
        ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
        ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
        ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    line: int
    where: str
    """The function (or class, or `<module>`) the change is in: stable when lines move."""
    what: str
    source: str
    lines: frozenset[int] = frozenset()
    """Lines of the original a test must run for the change to matter to it."""
    at_import: bool = True
    """The change is in code run when the module is imported (not inside a function): every
    test of the stage runs for it, whatever lines they ran."""
    column: int = 0
    """With the line, names the mutant apart from another same change on that line."""


def _scopes(tree: ast.AST) -> dict[int, str]:
    """id(node) → qualified name of the function or class it is in."""
    found: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = child.name if scope == "<module>" else f"{scope}.{child.name}"
            found[id(child)] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return found


def _in_functions(tree: ast.AST) -> set[int]:
    """Nodes run only when a function is called (its body), not at import."""
    return {id(node) for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for part in ([fn.body] if isinstance(fn, ast.Lambda) else fn.body)
            for node in ast.walk(part)}


def _statement_lines(tree: ast.AST) -> dict[int, int]:
    """id(node) → first line of the innermost statement holding it (a multi-line
    condition's later lines need not report a line event of their own)."""
    found: dict[int, int] = {}

    def visit(node: ast.AST, line: int) -> None:
        for child in ast.iter_child_nodes(node):
            here = child.lineno if isinstance(child, ast.stmt) else line
            found[id(child)] = here
            visit(child, here)

    visit(tree, 0)
    return found


def _docstring_ids(tree: ast.AST) -> set[int]:
    """Strings standing alone as statements: docstrings, and the attribute docstrings
    written under an assignment (both documentation, never run); and `...` bodies."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and (isinstance(node.value.value, str) or node.value.value is Ellipsis)}


def _annotation_ids(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        for attr in ("annotation", "returns"):
            sub = getattr(node, attr, None)
            if isinstance(sub, ast.AST):
                found.update(id(n) for n in ast.walk(sub))
    return found


def _description_ids(tree: ast.AST) -> set[int]:
    """`description=` texts and the descriptions of schema.py's keys and schemas (`Key`'s
    third argument, `Schema`'s second): documentation, like docstrings."""
    found = {id(part) for node in ast.walk(tree)
             if isinstance(node, ast.keyword) and node.arg == "description"
             for part in ast.walk(node.value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            at = {"Key": 2, "Schema": 1}.get(node.func.id)
            if at is not None and len(node.args) > at:
                found.update(id(part) for part in ast.walk(node.args[at]))
    return found


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every node a mutation applies to, with the kind of mutation."""
    skip = _docstring_ids(tree) | _annotation_ids(tree) | _description_ids(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in FLIP:
                    yield node, f"cmp{i}"
        elif isinstance(node, ast.BoolOp | ast.BinOp) and type(node.op) in FLIP:
            yield node, "op"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not"
        elif isinstance(node, ast.Constant) and not isinstance(node.value, bytes):
            if isinstance(node.value, bool) or isinstance(node.value, int | float) or (
                    isinstance(node.value, str) and node.value):
                yield node, "const"
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "return"
        elif isinstance(node, ast.If):
            yield node, "if-true"
        if isinstance(node, ast.FunctionDef | ast.For | ast.With | ast.Try | ast.If):
            for index, statement in enumerate(node.body):
                if isinstance(statement, ast.Expr | ast.Assign | ast.AugAssign | ast.Raise
                              | ast.Return | ast.If | ast.For | ast.With) and not (
                        isinstance(statement, ast.Expr) and id(statement.value) in skip):
                    yield statement, f"drop{index}"


def _mutate(node: ast.AST, kind: str) -> str | None:
    """Change node in place; a description, or None when nothing applies."""
    if kind.startswith("cmp"):
        assert isinstance(node, ast.Compare)
        i = int(kind[3:])
        old = node.ops[i]
        node.ops[i] = FLIP[type(old)]()  # type: ignore[call-overload]
        return f"{type(old).__name__} -> {type(node.ops[i]).__name__}"
    if kind == "op":
        assert isinstance(node, ast.BoolOp | ast.BinOp)
        old_op = node.op
        node.op = FLIP[type(old_op)]()  # type: ignore[assignment]
        return f"{type(old_op).__name__} -> {type(node.op).__name__}"
    if kind == "not":
        assert isinstance(node, ast.UnaryOp)
        node.op = ast.UAdd()  # `+x`: truthiness kept for bools would differ; use a call
        return "not x -> x"
    if kind == "const":
        assert isinstance(node, ast.Constant)
        value = node.value
        if isinstance(value, bool):
            node.value = not value
        elif isinstance(value, int | float):
            node.value = value + 1
        else:
            node.value = f"XX{value!s}XX"
        return f"{value!r} -> {node.value!r}"
    if kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
        return "return None"
    if kind == "if-true":
        assert isinstance(node, ast.If)
        node.test = ast.Constant(True)
        return "if True"
    return None


def mutants(path: Path) -> Iterator[Mutant]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    sites = list(_sites(tree))
    for number, (_, kind) in enumerate(sites):
        clone = copy.deepcopy(tree)
        node, _ = list(_sites(clone))[number]
        where = _scopes(clone).get(id(node), "<module>")
        lines = frozenset({_statement_lines(clone).get(id(node), 0), *range(
            getattr(node, "lineno", 0), getattr(node, "end_lineno", 0) + 1)})
        at_import = id(node) not in _in_functions(clone)
        if kind.startswith("drop"):
            parent = next(p for p in ast.walk(clone) if isinstance(getattr(p, "body", None), list)
                          and any(s is node for s in p.body))  # type: ignore[attr-defined]
            parent.body[parent.body.index(node)] = ast.Pass()  # type: ignore[attr-defined]
            what = f"drop `{ast.unparse(node).splitlines()[0][:60]}`"
        else:
            before = ast.unparse(node).splitlines()[0][:60]
            described = _mutate(node, kind)
            if described is None:
                continue
            what = f"{described} in `{before}`"
        if kind == "not":
            assert isinstance(node, ast.UnaryOp)
            replacement = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
            _replace(clone, node, replacement)
        ast.fix_missing_locations(clone)
        yield Mutant(getattr(node, "lineno", 0), where, what, ast.unparse(clone), lines,
                     at_import, getattr(node, "col_offset", 0))


def numbered(found: Iterable[Mutant]) -> list[Mutant]:
    """The same change made more than once in one function (a `drop `start()``) gets its
    place among them by line, `(2 of 4)`, so a judgement names one of them."""
    every = list(found)
    groups: dict[tuple[str, str], list[Mutant]] = {}
    for mutant in every:
        groups.setdefault((mutant.where, mutant.what), []).append(mutant)
    renamed: dict[int, Mutant] = {}
    for group in groups.values():
        if len(group) > 1:
            ordered = sorted(group, key=lambda m: (m.line, m.column))
            for place, mutant in enumerate(ordered, 1):
                renamed[id(mutant)] = replace(
                    mutant, what=f"{mutant.what} ({place} of {len(group)})")
    return [renamed.get(id(m), m) for m in every]


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


def run_tests(work: Path, tests: list[str], timeout: float) -> bool:
    """True when the tests pass (the mutant survived).

    On Linux the tests run in a fork of this process, which has imported the third-party
    packages once (warm_up): each run then costs the tests, not a Python start and a
    pydantic import. The fork drops every module of the repository first, so it imports
    the mutated file, and sets PYTHONPATH so that a `growthlog` a test starts imports it
    too; elsewhere a fresh Python runs them.
    """
    if not hasattr(os, "fork"):
        return _run_in_subprocess(work, tests, timeout)
    code = _in_fork(work, lambda pytest: pytest.main(
        ["-n0", "-x", "-q", "-p", "no:cacheprovider", *tests]), timeout)
    return code == 0


def _in_fork(work: Path, run: Callable[[Any], object], timeout: float) -> int | None:
    """Run `run(pytest)` in a fork with the repository's modules forgotten; its exit code,
    or None when it ran out of time (a mutant that hangs the tests is caught by them)."""
    child = os.fork()
    if child == 0:  # the child: never returns
        code = 1
        try:
            os.chdir(work)
            os.environ["PYTHONPATH"] = os.pathsep.join(
                [str(work), *filter(None, [os.environ.get("PYTHONPATH")])])
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            _forget_repository_modules(work)
            import pytest

            code = int(run(pytest))  # type: ignore[call-overload]
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(child, 9)
            os.waitpid(child, 0)
            return None
        time.sleep(0.02)


@dataclass
class Coverage:
    """Which tests of a stage run which lines of the module (recorded once, unmutated)."""

    order: list[str]
    """Every test id of the stage, in the order pytest runs them."""
    lines: dict[str, set[int]]
    spawns: set[str]
    """Tests that start a process or fork: what runs there is not traced, so they run for
    every mutant."""

    def select(self, mutant: Mutant) -> list[str]:
        if mutant.at_import:
            return self.order
        return [t for t in self.order
                if t in self.spawns or self.lines.get(t, set()) & mutant.lines]


class _Recorder:
    """A pytest plugin: per test, the lines of one file run in this process (and threads),
    with those its fixtures ran when they were set up (a module- or session-wide fixture
    runs in the first test that needs it, but every test using it sees what it made)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.running: list[str] = []  # the test, then the fixtures being set up for it
        self.order: list[str] = []
        self.lines: dict[str, set[int]] = {}
        self.spawns: set[str] = set()
        self.uses: dict[str, list[str]] = {}
        sys.addaudithook(self._audit)
        # A forked child's lines are not seen here (the test is marked as spawning): it
        # runs untraced, at full speed.
        os.register_at_fork(after_in_child=_untraced)

    def _audit(self, event: str, _: tuple[object, ...]) -> None:
        if self.running and event in (
                "os.fork", "subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn"):
            self.spawns.update(self.running)

    def _trace(self, frame: Any, event: str, _: object) -> Any:
        if frame.f_code.co_filename != self.target:
            return None
        lines = self.lines.setdefault(self.running[-1] if self.running else "", set())

        def local(frame: Any, event: str, _: object) -> Any:
            lines.add(frame.f_lineno)
            return local

        lines.add(frame.f_lineno)
        return local

    @pytest_hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Any:
        self.running.append(f"fixture {fixturedef.baseid}::{fixturedef.argname}")
        yield
        self.running.pop()

    @pytest_hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any) -> Any:
        self.running = [item.nodeid]
        self.order.append(item.nodeid)
        self.uses[item.nodeid] = [
            f"fixture {d.baseid}::{d.argname}" for name in item.fixturenames
            for d in item._fixtureinfo.name2fixturedefs.get(name, ())]
        if self.target:
            threading.settrace(self._trace)
            sys.settrace(self._trace)
        else:
            self.spawns.add(item.nodeid)
        yield
        sys.settrace(None)
        threading.settrace(None)
        self.running = []

    def result(self) -> dict[str, object]:
        """Per test: its lines and its fixtures' lines; whether it or they start a process."""
        lines = {test: sorted(self.lines.get(test, set()).union(
            *(self.lines.get(f, set()) for f in self.uses[test]))) for test in self.order}
        spawns = [test for test in self.order
                  if test in self.spawns or any(f in self.spawns for f in self.uses[test])]
        return {"order": self.order, "lines": lines, "spawns": spawns}


def _untraced() -> None:
    sys.settrace(None)
    threading.settrace(None)


def record_coverage(work: Path, module: str, tests: list[str], timeout: float,
                    traced: bool = True) -> Coverage:
    """Run the stage once, unmutated, recording which test runs which lines of the module
    (or, not `traced`, only which tests there are: each then counts as spawning)."""
    if not tests:
        return Coverage([], {}, set())
    with tempfile.NamedTemporaryFile(suffix=".json") as result:

        def run(pytest: Any) -> int:
            recorder = _Recorder(str(work / module) if traced else "")
            code = pytest.main(["-n0", "-q", "-p", "no:cacheprovider", *tests],
                               plugins=[recorder])
            Path(result.name).write_text(json.dumps(recorder.result()))
            return int(code)

        code = _in_fork(work, run, timeout)
        if code != 0:
            sys.exit(f"{module}: the tests fail without any mutation ({tests})")
        data = json.loads(Path(result.name).read_text())
    return Coverage(data["order"], {k: set(v) for k, v in data["lines"].items()},
                    set(data["spawns"]))


def _run_in_subprocess(work: Path, tests: list[str], timeout: float) -> bool:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-n0", "-x", "-q", "-p",
                                 "no:cacheprovider", *tests], cwd=work, env=env,
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _forget_repository_modules(work: Path) -> None:
    """Drop every imported module whose file is in the copy (generator, tests, conftest)."""
    root = str(work)
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(root):
            del sys.modules[name]


def warm_up(work: Path) -> None:
    """Import the package from the copy (and so its dependencies) and pytest's plugins,
    then forget the package: forks import it again, mutated, but not the dependencies."""
    sys.dont_write_bytecode = True  # a mutant's .pyc must never be taken for the original
    sys.path.insert(0, str(work))
    os.chdir(work)
    import importlib
    import pkgutil

    import generator

    for info in pkgutil.iter_modules(generator.__path__, "generator."):
        if info.name != "generator.__main__":
            importlib.import_module(info.name)
    for plugin in ("_pytest.python", "xdist.plugin", "hypothesis.extra.pytestplugin"):
        importlib.import_module(plugin)
    assert generator.__file__ is not None and generator.__file__.startswith(str(work))
    _forget_repository_modules(work)


def score_module(work: Path, module: str, timeout: float,
                 match: re.Pattern[str] | None = None, every_test: bool = False,
                 only: frozenset[str] = frozenset()) -> dict[str, object]:
    """Run every mutant of one module against its test stages; print survivors and scores."""
    labels = [label for label, _ in TESTS[module]]
    stages = [[t for t in files if (work / t).is_file()] for _, files in TESTS[module]]
    if only:
        stages = [files if label in only else []
                  for label, files in zip(labels, stages, strict=True)]
    coverage, limits = [], []
    for label, stage in zip(labels, stages, strict=True):
        began = time.monotonic()
        coverage.append(record_coverage(work, module, stage, timeout * 60, label != USERS))
        # A mutant that makes the tests hang is caught by them: after `timeout` or three
        # times the stage's first run (traced: slower than a mutant's), whichever is longer,
        # so that a slow stage on a loaded machine is not taken for a hang.
        limits.append(max(timeout, 3 * (time.monotonic() - began)))
    equivalent = EQUIVALENT.get(module, {})
    known = {(m.where, m.what) for m in numbered(mutants(work / module))}
    for where, what in sorted(set(equivalent) - known):  # the code changed under a judgement
        print(f"judged equivalent, but no such mutant any more: {where}: {what}", flush=True)
    original = (work / module).read_text(encoding="utf-8")
    killed_at: dict[str, int | None] = {}  # mutant → index of the stage that killed it
    judged: dict[str, str] = {}
    started = time.monotonic()
    try:
        for mutant in numbered(mutants(work / module)):
            name = f"{module}:{mutant.line}:{mutant.column}: {mutant.where}: {mutant.what}"
            if match is not None and not match.search(name):
                continue
            (work / module).write_text(mutant.source, encoding="utf-8")
            selected = [c.order if every_test else c.select(mutant) for c in coverage]
            killer = next((i for i, tests in enumerate(selected)
                           if tests and not run_tests(work, tests, limits[i])), None)
            killed_at[name] = killer
            why = equivalent.get((mutant.where, mutant.what))
            if killer is None and why is not None:
                judged[name] = why
                print(f"equivalent: {name} ({why})", flush=True)
            elif killer is None:
                unrun = " (no test runs this line)" if not any(selected) else ""
                print(f"survived: {name}{unrun}", flush=True)
            elif killer > 0:
                print(f"killed by {labels[killer]}: {name}", flush=True)
    finally:
        (work / module).write_text(original, encoding="utf-8")
    total = len(killed_at)
    counted = total - len(judged)
    scores = {}
    for upto, label in enumerate(labels):
        killed = sum(1 for k in killed_at.values() if k is not None and k <= upto)
        scores[label] = killed
        print(f"{module}: up to {label}: {killed}/{counted} behaviour-changing mutants killed "
              f"({100 * killed / max(counted, 1):.1f} %)", flush=True)
    print(f"{module}: {total} mutants, {len(judged)} judged equivalent; "
          f"{time.monotonic() - started:.0f} s", flush=True)
    return {"mutants": total, "equivalent": judged, "behaviour_changing": counted,
            "killed_up_to_stage": scores,
            "survived": [n for n, k in killed_at.items() if k is None and n not in judged],
            "killed_by_later_stage": {n: labels[k] for n, k in killed_at.items()
                                      if k is not None and k > 0}}


def _stop(number: int, _: object) -> None:
    sys.exit(f"stopped by signal {number}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", choices=sorted(TESTS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=float, default=60, help=(
        "seconds after which a stage's tests count as hanging (at least three times the "
        "stage's first run)"))
    parser.add_argument("--match", type=re.compile, default=None, help=(
        "only the mutants whose name (module:line: function: change) this regex finds: "
        "to check the tests written for some survivors"))
    parser.add_argument("--stage", action="append", default=[], help=(
        "run only the stages with this label (repeatable): the others count as passing"))
    parser.add_argument("--every-test", action="store_true", help=(
        "run every test of a stage for every mutant, not only those that run its line"))
    args = parser.parse_args()
    report: dict[str, dict[str, object]] = {}
    signal.signal(signal.SIGTERM, _stop)  # `kill` clears the copy (and its mutated module) too
    with tempfile.TemporaryDirectory(prefix="growthlog-mutation-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(REPO, work, ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "output", "__pycache__", ".hypothesis"))
        warm_up(work)
        for module in args.modules:
            report[module] = score_module(work, module, args.timeout, args.match,
                                          args.every_test, frozenset(args.stage))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
