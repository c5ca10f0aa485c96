"""[serve] Incremental rebuilds equal full builds, byte for byte, after any sequence of saves;
[speed] so do builds that take the last build's cache from disk (`growthlog build`)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from generator.build import build
from generator.build_cache import BuildCache
from generator.errors import ProblemsFound
from generator.serve import Rebuilder, first_pages
from generator.theme import packaged_themes_dir
from generator.watch import classify

from conftest import make_log, read_tree

CONFIG = 'title = "Property log"\nrecent = 2\n'
STAGES = ["applied", "screen", "assessment", "interview", "final", "offer"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

titles = st.sampled_from(["Data Engineer at Acme", "Data Engineer at Acme!", "Analyst at Brio",
                          "Platform Engineer at Cobalt", "Lead at Dune"])
dates = st.sampled_from(["2025-01-05", "2025-01-20", "2025-02-01", "2026-03-14", "2026-03-14"])
tag_lists = st.lists(st.sampled_from(["nerves", "Nerves", "sql", "system design",
                                      "System-Design", "referral"]), max_size=3)
lessons = st.lists(st.sampled_from(["Lead with trade-offs", "lead with trade-offs.",
                                    "Ask about the team", "Sleep before onsites"]), max_size=2)
actions = st.lists(st.tuples(st.sampled_from(["Mock interview", "Update resume", "Call Sam"]),
                             st.booleans()), max_size=2)
bodies = st.sampled_from(["Short.", "Two lines.\n\nSecond paragraph with *emphasis*.",
                          "See ![pic](img/pic.png).", "A [link](other.md)."])
names = st.sampled_from(["a.md", "b.md", "2025/c.md", "2025/d.md", "2026/deep/e.md"])


@st.composite
def entry_texts(draw: st.DrawFn) -> str:
    """A valid entry using most fields, with values chosen to collide (slugs, tags, dates)."""
    lines = [f"title: {draw(titles)}", f"date: {draw(dates)}"]
    if draw(st.booleans()):
        lines.append(f"stage: {draw(st.sampled_from(STAGES))}")
    if draw(st.booleans()):
        lines.append(f"company: {draw(st.sampled_from(['Acme', 'acme', 'Brio']))}")
    tags = draw(tag_lists)
    if tags:
        lines.append(f"tags: [{', '.join(tags)}]")
    for text in draw(lessons):
        lines.append(f"lessons:\n  - {text}" if "lessons:" not in "\n".join(lines)
                     else f"  - {text}")
    items = draw(actions)
    if items:
        lines.append("actions:")
        lines += [f"  - {{text: {text}, done: {str(done).lower()}}}" for text, done in items]
    if draw(st.booleans()):
        lines.append("feedback:\n  asked: true\n  received: Good SQL.")
    if draw(st.integers(0, 4)) == 0:
        lines.append("draft: true")
    return "---\n" + "\n".join(lines) + f"\n---\n{draw(bodies)}\n"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Template code by name and source checksum, for the reference builds only: a full
    build is mostly compiling templates, which a changed source compiles afresh."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


BROKEN = st.sampled_from([
    "---\ntitle: [unclosed\ndate: 2026-01-01\n---\nBad YAML.\n",
    "---\ntitle: Stage typo\ndate: 2026-01-01\nstage: on-site\n---\n",
    "---\ndate: 2026-01-01\n---\nNo title.\n",
])


class IncrementalEqualsFull(RuleBasedStateMachine):
    """Random saves to a log; after each, the preview must equal a fresh full build."""

    files = Bundle("files")
    compiled = _CompiledTemplates()

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="growthlog-prop-"))
        self.root = make_log(self.tmp / "log", {"content/a.md": "---\ntitle: First\n"
                                                "date: 2025-01-01\n---\nHello.\n"}, CONFIG)
        # A snapshot of the shipped theme: the property is about content saves, so the
        # templates must not change under the test (a theme save would reach serve as such).
        shutil.copytree(packaged_themes_dir() / "default", self.root / "themes/default")
        self.preview = self.tmp / "preview"
        self.rebuilder = Rebuilder(self.root, self.preview)
        self.existing: set[str] = {"content/a.md"}
        self.step = 0
        assert self.rebuilder.rebuild().ok

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _save(self, *changed: str) -> None:
        paths = [self.root / name for name in changed]
        result = self.rebuilder.rebuild(classify(paths, self.root.resolve()))
        self.step += 1
        full = self.tmp / f"full-{self.step}"
        try:
            reference = BuildCache()  # nothing shared with the preview's cache
            reference.pages.compiled = self.compiled
            build(self.root, output=full, cache=reference, base_url="/",
                  drafts=self.rebuilder.drafts)
        except ProblemsFound as exc:
            assert not result.ok, "the full build failed but the incremental one did not"
            if result.held or result.left_out:  # the rest was built (issue 10, item 5)
                assert [p for p in result.problems if p.is_error] == exc.errors
            else:
                assert result.problems == tuple(exc.problems)
            with pytest.raises(ProblemsFound) as from_disk:
                self._build_from_disk()
            assert from_disk.value.problems == exc.problems
            return
        assert result.ok, result.problem_lines
        assert read_tree(self.preview) == read_tree(full)
        self._build_from_disk()
        assert read_tree(self.tmp / "from-disk") == read_tree(full)
        shutil.rmtree(full)

    def _build_from_disk(self) -> None:
        """As `growthlog build` does: the cache the last one left in .growthlog-cache/."""
        build(self.root, output=self.tmp / "from-disk", base_url="/", use_cache=True,
              drafts=self.rebuilder.drafts)

    def _write(self, name: str, text: str | bytes) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    @rule(target=files, name=names.map(lambda n: f"content/{n}"), text=entry_texts())
    def add_or_overwrite(self, name: str, text: str) -> str:
        self._write(name, text)
        self.existing.add(name)
        self._save(name)
        return name

    @rule(name=files, text=entry_texts())
    def edit(self, name: str, text: str) -> None:
        self._write(name, text)
        self.existing.add(name)
        self._save(name)

    @rule(name=files, text=BROKEN)
    def break_entry(self, name: str, text: str) -> None:
        self._write(name, text)
        self.existing.add(name)
        self._save(name)

    @rule(name=consumes(files))
    def delete(self, name: str) -> None:
        (self.root / name).unlink(missing_ok=True)
        self.existing.discard(name)
        self._save(name)

    @rule(target=files, name=consumes(files), new=names.map(lambda n: f"content/{n}"))
    def rename(self, name: str, new: str) -> str:
        source = self.root / name
        if source.exists() and name != new:
            (self.root / new).parent.mkdir(parents=True, exist_ok=True)
            source.replace(self.root / new)
            self.existing.discard(name)
            self.existing.add(new)
        self._save(name, new)
        return new

    @rule(name=files)
    def toggle_draft(self, name: str) -> None:
        path = self.root / name
        if not path.exists():
            return
        text = path.read_text(encoding="utf-8")
        text = (text.replace("draft: true\n", "") if "draft: true\n" in text
                else text.replace("\n---\n", "\ndraft: true\n---\n", 1))
        path.write_text(text, encoding="utf-8")
        self._save(name)

    @rule(present=st.booleans())
    def attachment(self, present: bool) -> None:
        path = self.root / "content/img/pic.png"
        if present:
            self._write("content/img/pic.png", PNG)
        else:
            path.unlink(missing_ok=True)
        self._save("content/img/pic.png")

    @rule()
    def config_change(self) -> None:
        config = self.root / "growthlog.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("recent = 2", "recent = 3") if "recent = 2" in text
                          else text.replace("recent = 3", "recent = 2"), encoding="utf-8")
        self._save("growthlog.toml")

    @rule()
    def restart(self) -> None:
        """serve started again, from nothing, as it starts: its first pages (which render
        only the bodies they show) are a full build's, then the rest; the session goes on
        from there."""
        self.step += 1
        preview = self.tmp / f"restart-{self.step}"
        rebuilder = Rebuilder(self.root, preview)
        first = rebuilder.rebuild(only=first_pages)
        early = read_tree(preview)
        rest = rebuilder.rebuild()
        full = self.tmp / f"full-{self.step}"
        try:
            build(self.root, output=full, cache=BuildCache(), base_url="/",
                  drafts=rebuilder.drafts)
        except ProblemsFound as exc:
            assert not first.ok and not rest.ok
            assert [p for p in rest.problems if p.is_error] == exc.errors
        else:
            assert first.ok and rest.ok, rest.problem_lines
            whole = read_tree(full)
            assert {name: whole[name] for name in early if not name.startswith(".")} \
                == {name: data for name, data in early.items() if not name.startswith(".")}
            assert read_tree(preview) == whole
            shutil.rmtree(full)
        shutil.rmtree(self.preview, ignore_errors=True)
        self.rebuilder, self.preview = rebuilder, preview

    @invariant()
    def preview_has_no_temp_files(self) -> None:
        assert not list(self.preview.rglob("*.growthlog-tmp"))


IncrementalEqualsFull.TestCase.settings = settings(
    max_examples=20, stateful_step_count=8, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_incremental_equals_full = IncrementalEqualsFull.TestCase


def test_same_size_same_mtime_edit_is_rebuilt(tmp_path: Path) -> None:
    """A save that keeps size and mtime (within one timestamp tick) is still picked up."""
    import os

    root = make_log(tmp_path / "log", {"content/a.md": "---\ntitle: AAAA\ndate: 2025-01-01\n"
                                                       "---\nBody.\n"})
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    path = root / "content/a.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("AAAA", "BBBB"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = rebuilder.rebuild(classify([path], root.resolve()))
    assert result.ok
    assert b"BBBB" in (tmp_path / "preview/entries/bbbb/index.html").read_bytes()
    assert not (tmp_path / "preview/entries/aaaa").exists()


def test_one_entry_edit_renders_only_pages_that_show_it(tmp_path: Path) -> None:
    entries = {f"content/e{i}.md": f"---\ntitle: Entry {i}\ndate: 2025-01-{i + 1:02d}\n"
                                   f"tags: [t{i % 3}]\n---\nBody {i}.\n" for i in range(12)}
    root = make_log(tmp_path / "log", entries, CONFIG)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    first = rebuilder.rebuild()
    assert first.report is not None
    path = root / "content/e0.md"  # the oldest: not on the home page
    path.write_text(path.read_text().replace("Body 0.", "Body zero, edited."))
    result = rebuilder.rebuild(classify([path], root.resolve()))
    assert result.report is not None
    assert "entries/entry-0/index.html" in result.report.written
    assert result.report.rendered < first.report.rendered / 2
    assert "index.html" not in result.report.written


def test_folder_moved_in_or_out_is_seen_though_only_the_folder_is_reported(
        tmp_path: Path) -> None:
    """serve looks only at reported entry files; a folder change makes it list content/."""
    root = make_log(tmp_path / "log", {"content/a.md": "---\ntitle: Kept\ndate: 2025-01-01\n"
                                                       "---\nBody.\n"})
    outside = make_log(tmp_path / "elsewhere", {
        f"content/{n}.md": f"---\ntitle: Moved {n}\ndate: 2025-02-0{n}\n---\nBody.\n"
        for n in (1, 2)}) / "content"
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    folder = root / "content/2025"
    outside.rename(folder)
    assert rebuilder.rebuild(classify([folder], root.resolve())).ok
    assert (tmp_path / "preview/entries/moved-1/index.html").is_file()
    assert (tmp_path / "preview/entries/moved-2/index.html").is_file()
    folder.rename(tmp_path / "away")
    result = rebuilder.rebuild(classify([folder], root.resolve()))
    assert result.ok and "entries/moved-1/index.html" in result.changed
    assert not (tmp_path / "preview/entries/moved-1").exists()
    assert (tmp_path / "preview/entries/kept/index.html").is_file()

