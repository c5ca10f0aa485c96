"""Mutation testing: change one thing in a module, run its tests, and count what survives.

    python benchmarks/mutation.py generator/schema.py generator/output.py generator/urls.py

Each mutant is one small change to the module's syntax tree (a comparison or boolean
operator flipped, a constant changed, a statement dropped, a return value replaced, an
`if` made unconditional) in a copy of the repository; the module's tests (TESTS below,
`-x`) must fail. Docstrings and annotations are left alone. Slow (minutes per module):
not part of .ci/run. Prints each surviving mutant and the score per module, before and
after the last stage of tests; `--json FILE` writes them too.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The tests of each module in stages, most specific (and fastest) first; a mutant is killed
# at the first stage that fails. The last stage holds the tests added to close the gaps a
# run found, so one run gives the score before them (earlier stages only) and after.
# Kept to the module's own tests so a run takes minutes: the score is a floor.
TESTS = {
    "generator/schema.py": [["tests/test_schema.py", "tests/test_entries.py",
                             "tests/test_sources.py"], ["tests/test_unknown_keys.py"]],
    "generator/output.py": [["tests/test_output.py"], ["tests/test_output_behaviour.py"]],
    "generator/urls.py": [["tests/test_urls.py"], ["tests/test_urls_mutants.py"]],
}
FLIP = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt,
        ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
        ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
        ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    line: int
    what: str
    source: str


def _docstring_ids(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            found.add(id(body[0].value))
    return found


def _annotation_ids(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        for attr in ("annotation", "returns"):
            sub = getattr(node, attr, None)
            if isinstance(sub, ast.AST):
                found.update(id(n) for n in ast.walk(sub))
    return found


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every node a mutation applies to, with the kind of mutation."""
    skip = _docstring_ids(tree) | _annotation_ids(tree)
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
        elif isinstance(node, ast.Return) and node.value is not None:
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
        node.ops[i] = FLIP[type(old)]()
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
            node.value = "XX" + value + "XX"
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
        yield Mutant(getattr(node, "lineno", 0), what, ast.unparse(clone))


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
    """True when the tests pass (the mutant survived)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HYPOTHESIS_PROFILE": "default"}
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                                 "no:cacheprovider", *tests], cwd=work, env=env,
                                capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False  # a mutant that hangs the tests is caught by them
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    report: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="growthlog-mutation-") as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(REPO, work, ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "output", "__pycache__", ".hypothesis"))
        for module in args.modules:
            stages = [[t for t in stage if (work / t).is_file()] for stage in TESTS[module]]
            stages = [stage for stage in stages if stage]
            original = (work / module).read_text(encoding="utf-8")
            if not all(run_tests(work, stage, args.timeout) for stage in stages):
                sys.exit(f"{module}: the tests fail without any mutation")
            survived: list[str] = []
            first_stage_only: list[str] = []
            total = 0
            started = time.monotonic()
            try:
                for mutant in mutants(work / module):
                    total += 1
                    (work / module).write_text(mutant.source, encoding="utf-8")
                    name = f"{module}:{mutant.line}: {mutant.what}"
                    killer = next((i for i, stage in enumerate(stages)
                                   if not run_tests(work, stage, args.timeout)), None)
                    if killer is None:
                        survived.append(name)
                        print(f"survived: {name}", flush=True)
                    if killer != 0:
                        first_stage_only.append(name)
                        if killer is not None:
                            print(f"killed only by the last stage: {name}", flush=True)
            finally:
                (work / module).write_text(original, encoding="utf-8")
            seconds = time.monotonic() - started
            for label, left in (("before (first stage)", first_stage_only),
                                ("after (all stages)", survived)):
                killed = total - len(left)
                print(f"{module}: {label}: {killed}/{total} killed "
                      f"({100 * killed / max(total, 1):.0f} %)", flush=True)
            print(f"{module}: {seconds:.0f} s", flush=True)
            report[module] = {"mutants": total, "survived_before": first_stage_only,
                              "survived": survived}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
