"""Issue 10: fuzzed front matter and growthlog.toml never crash `check`, `build` or serve's
rebuild, and the three agree: whatever `check` passes, `build` builds; whatever it refuses,
`build` and the preview refuse with the same problems. A problem is a user error (a
Problem with a file), never a traceback.

Front matter: every field with random YAML types and nesting, YAML tags with bad values,
NUL, lone surrogates, right-to-left and zero-width characters, huge strings, anchors and
aliases, duplicate keys. Examples per test: GROWTHLOG_FUZZ_EXAMPLES (default 12, to keep
the suite fast; CI may ask for more). Every input that ever failed is an @example."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.build import build, check
from generator.build_cache import BuildCache
from generator.errors import GrowthlogError, ProblemsFound
from generator.serve import Rebuilder
from generator.watch import ChangeSet

EXAMPLES = int(os.environ.get("GROWTHLOG_FUZZ_EXAMPLES", "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 12,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FIELDS = ["title", "date", "company", "role", "stage", "outcome", "applied", "tags",
          "feedback", "support", "postmortem", "bridges", "lessons", "actions", "draft",
          "slug", "description", "permalink", "aliases", "categories", "summary",
          "published", "example", "~", "yes", "0x_", "<<", "title"]
NESTED = ["asked", "from", "received", "other_openings", "who", "took_away", "went_well",
          "to_improve", "thank_you_sent", "keep_in_touch", "text", "done", "due"]
ODD_TEXT = ["\x00", "\ud800", "\u202e", "\u200b", "\ufeff", "\u0301", "é", "日本", "🙂",
            "\t", "\r", "\x85", "\u2028", "---", "...", "#", ": ", "'", '"', "{{ x }}",
            "<script>", "%", "../", "/", "\\"]
TAGGED = ["!!int hello", "!!int", "!!float x", "!!bool maybe", "!!timestamp hello",
          "!!binary zz", "!!str", "!!null x", "!!set [1]", "!!omap [1]", "!!python/object x",
          "!!int 0x_", "!!float .", "!<tag:yaml.org,2002:int> y", "!local x", "0x_",
          "2026-13-45", "9999-12-31", "0001-01-01", "0024-05-01", "1e999", ".nan", "-.inf",
          "~", "null", "yes", "off", "1" * 5000, "-0", "0o7", "0b102"]

text = st.lists(st.sampled_from(ODD_TEXT) | st.characters(), max_size=8).map("".join) | \
    st.builds(lambda s, n: s * n, st.sampled_from(["a", "é ", "\u200b"]), st.sampled_from(
        [1, 300, 70_000]))


def scalar_yaml() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TAGGED),
        text.map(lambda s: json.dumps(s)),  # a double-quoted scalar: any character escaped
        st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str),
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["true", "false", "a plain value", "Acme", "applied", "interview"]))


def value_yaml(depth: int = 2) -> st.SearchStrategy[str]:
    """A YAML value written inline (flow style), nested up to `depth`."""
    if depth == 0:
        return scalar_yaml()
    inner = value_yaml(depth - 1)
    keys = st.sampled_from(NESTED + FIELDS[:6])
    return st.one_of(
        scalar_yaml(),
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(keys, inner), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"),
        st.tuples(st.sampled_from(["&a ", "&b "]), inner).map("".join),
        st.sampled_from(["*a", "*b"]))


front_matter = st.lists(st.tuples(st.sampled_from(FIELDS), value_yaml()), max_size=10).map(
    lambda pairs: "".join(f"{json.dumps(k) if k not in ('~', '<<') else k}: {v}\n"
                          for k, v in pairs))


def toml_value(depth: int = 1) -> st.SearchStrategy[str]:
    base = st.one_of(
        text.map(lambda s: json.dumps(s).replace("\\ud800", "\\uFFFD")),
        st.integers(min_value=-(10 ** 20), max_value=10 ** 20).map(str),
        st.sampled_from(["true", "false", "nan", "-inf", "1.5", "2026-01-01",
                         "1979-05-27T07:32:00Z", '"applied"', '"/my-log/"', '"default"',
                         '"https://x.example/a/"', "99999999999999999999"]))
    if depth == 0:
        return base
    return base | st.lists(toml_value(depth - 1), max_size=4).map(
        lambda items: "[" + ", ".join(items) + "]")


OPTIONS = ["title", "author", "base_url", "url", "theme", "stages", "outcomes", "unsafe_html",
           "recent", "language", "cname", "rerandomize", "remember_days",
           "remember_on_shared_origin", "iterations", "reveal_titles", "titel", "extra"]
config_toml = st.lists(st.tuples(st.sampled_from(OPTIONS), toml_value()), max_size=6,
                       unique_by=lambda pair: pair[0]).map(
    lambda pairs: "".join(f"{k} = {v}\n" for k, v in pairs))


def outcome(run: Any, *args: Any, **kwargs: Any) -> tuple[str, ...]:
    """() when it succeeds; the error lines (sorted) when it refuses; a traceback fails."""
    try:
        run(*args, **kwargs)
    except ProblemsFound as exc:
        return tuple(sorted(p.format() for p in exc.errors))
    except GrowthlogError as exc:
        return (str(exc),)
    return ()


def agree(root: Path) -> None:
    """check, build and a serve rebuild: no traceback, the same verdict and errors."""
    checked = outcome(check, root)
    built = outcome(build, root, cache=BuildCache())
    assert checked == built
    preview = root.parent / "preview"
    result = Rebuilder(root, preview).rebuild()
    shutil.rmtree(preview, ignore_errors=True)
    assert not any("internal error" in line for line in result.errors), result.errors
    assert tuple(sorted(result.errors)) == checked or (not checked) == result.ok


def agree_after_a_save(folder: Path, front: str) -> None:
    """The preview of the log with a good a.md, after a.md is saved as `front`: what the
    watcher's report makes it rebuild shows check's errors (a broken a.md's, over its last
    good page), never an internal error."""
    root = write_log(folder, "title: A\ndate: 2026-01-01\n")
    preview = root.parent / "preview"
    rebuilder = Rebuilder(root, preview)
    rebuilder.rebuild()
    write_log(folder, front, keep=True)
    saved = frozenset({(root / "content" / "a.md").resolve()})
    result = rebuilder.rebuild(ChangeSet(content=saved))
    shutil.rmtree(preview, ignore_errors=True)
    assert not any("internal error" in line for line in result.errors), result.errors
    assert tuple(sorted(result.errors)) == outcome(check, root)


def write_log(folder: Path, entry_front: str, config: str = "", *, keep: bool = False) -> Path:
    root = folder / "log"
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "growthlog.toml").write_text(config, encoding="utf-8", errors="surrogatepass")
    (root / "content" / "a.md").write_bytes(
        f"---\n{entry_front}---\nBody.\n".encode("utf-8", "surrogatepass"))
    (root / "content" / "b.md").write_text(
        "---\ntitle: Other\ndate: 2026-01-02\nstage: nowhere\n---\nBody.\n")
    return root


@pytest.fixture(scope="module")
def folder() -> Any:
    path = Path(tempfile.mkdtemp(prefix="growthlog-fuzz-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@FUZZ
@given(front=front_matter)
@example(front="title: !!int hello\ndate: 2026-01-01\n")
@example(front="title: x\ndate: 2026-01-01\nstage: !!bool maybe\n")
@example(front="title: x\ndate: !!timestamp hello\n")
@example(front="title: x\ndate: 2026-01-01\ncompany: !!int\n")
@example(front="title: x\ndate: 2026-01-01\nfeedback: {asked: !!float x}\n")
@example(front="title: x\ndate: 2026-01-01\nrole: 0x_\n")
@example(front="title: x\ndate: 0001-01-01\nactions: [{text: a, due: 9999-12-31}]\n")
@example(front='title: "\\ud800"\ndate: 2026-01-01\n')
@example(front='title: "a\\0b"\ndate: 2026-01-01\ntags: ["\\u202e", "\\u200b", "\\0"]\n')
@example(front="title: &a x\ndate: 2026-01-01\ncompany: *a\ntitle: again\n")
@example(front="title: x\ndate: 2026-01-01\n~: 1\nyes: 2\n<<: {role: r}\n")
def test_fuzzed_front_matter_never_crashes_and_check_build_serve_agree(folder: Path,
                                                                      front: str) -> None:
    agree(write_log(folder, front))
    agree_after_a_save(folder, front)


@FUZZ
@given(config=config_toml)
@example(config='stages = ["a", "a/"]\n')
@example(config="iterations = 99999999999999999999\n")
@example(config='stages = ["a\\u0000b"]\n')
@example(config="recent = 99999999999999999999\n")
@example(config="remember_days = 99999999999999999999\n")
@example(config='title = "\\ud800"\n')
@example(config='theme = "../../etc"\n')
@example(config=f'theme = "{"a" * 300}"\n')
def test_fuzzed_config_never_crashes_and_check_build_serve_agree(folder: Path,
                                                                config: str) -> None:
    agree(write_log(folder, "title: A\ndate: 2026-01-01\nstage: applied\n", config))
