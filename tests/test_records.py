"""[speed] The build state on disk is written in parts: a build after one edit appends the
edited entry's record to state.journal and leaves state.base as it was; a base or journal
that is damaged, cut short, foreign or from another save is never trusted, and the output
is always a build from nothing's, byte for byte."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from test_cache import counting

from generator import build_cache, cache, records
from generator.build import build, check

from conftest import make_log, read_tree

CONFIG = 'title = "Records"\n'


def _entries(count: int = 24) -> dict[str, str | bytes]:
    return {f"content/e{i:02d}.md": f"---\ntitle: Entry {i}\ndate: 2025-0{1 + i % 9}-1{i % 10}\n"
                                    f"tags: [t{i % 3}]\n---\nBody {i}, " + "words " * 200 + "\n"
            for i in range(count)}


def _edit(root: Path, number: int, text: str) -> None:
    path = root / f"content/e{number:02d}.md"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


def _folder(root: Path) -> Path:
    return root / cache.CACHE_DIR


def test_a_one_entry_edit_appends_that_entrys_record_and_leaves_the_base(
        tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    base = _folder(root) / "state.base"
    journal = _folder(root) / "state.journal"
    before = base.stat()
    assert not journal.exists()
    for step in range(3):
        _edit(root, step, f"Edit {step}.")
        build(root, use_cache=True)
        assert base.stat().st_mtime_ns == before.st_mtime_ns
        assert base.stat().st_ino == before.st_ino
        # one record a build: about a 24th of the base each, never the whole state again
        assert journal.stat().st_size < (step + 1) * 2.5 * before.st_size / 24
    loaded = records.load(_folder(root), "state", cache.code_key())
    assert loaded is not None and len(loaded.records) == 24
    (root / "content/e05.md").unlink()  # a record gone is said in the journal
    build(root, use_cache=True)
    loaded = records.load(_folder(root), "state", cache.code_key())
    assert loaded is not None and len(loaded.records) == 23
    assert base.stat().st_ino == before.st_ino
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_load_makes_each_record_of_the_journal_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry saved five times since the base is five commits in the journal: a load
    checks them all and makes its last version only."""
    from generator import model

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    for step in range(5):
        _edit(root, 3, f"Edit {step}.")
        build(root, use_cache=True)
    made: list[object] = []
    real = model._unpickle_hashed

    def counted(kind: type, *args: object) -> object:
        made.append(kind)
        return real(kind, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "_unpickle_hashed", counted)
    loaded = records.load(_folder(root), "state", cache.code_key())
    assert loaded is not None and len(loaded.records) == 24
    assert made.count(model.Entry) == 24 + 1  # the base's, and e03's last version
    state = build_cache.load_build_cache(root, cache.code_key())
    entry = state.parsed["e03.md"][1]  # (by its name inside content/)
    assert entry is not None and "Edit 4." in entry.body_text


def test_the_journal_is_folded_into_a_new_base_when_it_grows(tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    journal = _folder(root) / "state.journal"
    sizes = []
    for step in range(40):  # a 1 MiB journal at the most for so small a base
        _edit(root, step % 24, "More words. " * 3000)
        build(root, use_cache=True)
        sizes.append(journal.stat().st_size if journal.exists() else 0)
    assert sizes[0] > 0 and 0 in sizes and max(sizes) <= 1 << 20  # (0: a new base)
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def _flip_last(data: bytes) -> bytes:
    return data[:-40] + bytes([data[-40] ^ 1]) + data[-39:]


JOURNAL_DAMAGE: list[Callable[[bytes], bytes]] = [
    lambda data: data[: len(data) - 10],            # the last commit cut short
    lambda data: data[: len(data) // 2],            # half-written
    _flip_last,                                     # a bit changed on disk
    lambda data: b"x" + data,                       # not ours
    lambda data: data.replace(cache.code_key().encode(), b"0" * 64, 1),  # another growthlog
]


@pytest.mark.parametrize("damage", JOURNAL_DAMAGE)
def test_a_damaged_journal_is_not_trusted(damage: Callable[[bytes], bytes], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _edit(root, 3, "Edited once.")
    build(root, use_cache=True)
    journal = _folder(root) / "state.journal"
    journal.write_bytes(damage(journal.read_bytes()))
    (_folder(root) / cache.BUILD_FILE).unlink()
    seen = counting(monkeypatch)
    build(root, use_cache=True)
    assert len(seen) == 24  # every body rendered again: nothing was taken from it
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
    _edit(root, 4, "Edited again.")
    build(root, use_cache=True)
    assert len(seen) == 25  # and what it wrote instead is trusted


BASE_DAMAGE: list[Callable[[bytes], bytes]] = [
    lambda data: data[: len(data) - 10],
    lambda data: data[: len(data) // 2],
    _flip_last,
    lambda data: data[:-12] + bytes([data[-12] ^ 1]) + data[-11:],  # the bodies' length
    lambda data: b"x" + data,
    lambda data: data.replace(cache.code_key().encode(), b"0" * 64, 1),
]


@pytest.mark.parametrize("damage", BASE_DAMAGE)
def test_a_damaged_base_is_not_trusted(damage: Callable[[bytes], bytes], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    base = _folder(root) / "state.base"
    base.write_bytes(damage(base.read_bytes()))
    _edit(root, 3, "Edited.")
    seen = counting(monkeypatch)
    build(root, use_cache=True)
    assert len(seen) == 24
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def _damage_body(root: Path, number: int) -> None:
    """A bit changed on disk in entry `number`'s bodies, which state.base keeps apart."""
    base = _folder(root) / "state.base"
    data = base.read_bytes()
    at = data.index(f"Body {number}, words".encode()) + 8
    base.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])


def _page_of(root: Path, number: int) -> Path:
    [page] = [path for path in (root / "output").rglob("index.html")
              if f"<h1>Entry {number}</h1>" in path.read_text(encoding="utf-8")]
    return page


def test_damaged_bodies_are_never_shown(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry's bodies are checked when first read: a build or check that reads damaged
    ones starts again from nothing (and a build saves a state the next one trusts)."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _damage_body(root, 7)
    _page_of(root, 7).unlink()  # (deleted by hand: rendered again, from its bodies)
    assert check(root) == []  # (checked from nothing, likewise)
    seen = counting(monkeypatch)
    build(root, use_cache=True)
    assert len(seen) == 24  # every body rendered again: nothing was taken from the state
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")
    _edit(root, 4, "Edited.")
    build(root, use_cache=True)
    assert len(seen) == 25  # and what it wrote instead is trusted


def test_damaged_bodies_found_after_pages_changed_twice_build_from_nothing(
        tmp_path: Path) -> None:
    """Pages changed by hand under the build twice (each time rendered again), then a
    damaged body read once every page is rendered: the build starts again from nothing
    and ends with the site, not a traceback (the new start took the last of its tries)."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _damage_body(root, 0)  # the oldest entry: read only once every page is rendered
    _edit(root, 4, "Edited.")
    by_hand = [_page_of(root, 5), _page_of(root, 6)]

    def change(step: str, *_: object) -> None:
        if step == "Rendering pages" and by_hand:
            page = by_hand.pop(0)
            page.write_bytes(page.read_bytes().replace(b"<h1>", b"<h1>By hand: "))

    build(root, use_cache=True, progress=change)
    assert not by_hand
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_damaged_bodies_are_never_carried_into_a_new_base(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save that writes a new base copies the bodies no build read as they are stored:
    checked first, so damaged ones never come back as sound. It keeps no state then (the
    build is not done again): the next build is from nothing."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _damage_body(root, 0)  # the oldest entry: not in the feed, so not read by these builds
    for number in range(1, 24):  # a new base: most records changed
        _edit(root, number, "Edited.")
    seen = counting(monkeypatch)
    build(root, use_cache=True)
    assert len(seen) == 23
    _page_of(root, 0).unlink()
    build(root, use_cache=True)
    assert len(seen) == 23 + 24
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def _read_so_far() -> int:
    """Bytes this process has read from files so far (Linux)."""
    with open("/proc/self/io", encoding="ascii") as file:
        return int(file.readline().split()[1])


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="Linux's count of reads")
def test_a_load_reads_the_records_not_the_bodies(tmp_path: Path) -> None:
    """The bodies (most of state.base) are not even read to be checked when it is loaded:
    each is checked when first read."""
    from generator.pipeline import load_log

    root = make_log(tmp_path / "log", _long_entries(24), CONFIG)
    build(root, use_cache=True)
    bodies = sum(len(e.body_html.encode()) + len(e.body_text.encode())
                 for e in load_log(root).site.entries)
    base = (_folder(root) / "state.base").stat().st_size
    key = cache.code_key()
    build_cache.load_build_cache(root, key)  # (what it imports, imported)
    before = _read_so_far()
    state = build_cache.load_build_cache(root, key)
    assert len(state.parsed) == 24
    pickle = (_folder(root) / build_cache.STATE_FILE).stat().st_size
    records_part = base - bodies  # read twice: checked, then unpickled
    assert _read_so_far() - before < 2 * records_part + pickle + (64 << 10), (base, bodies)


def _long_entries(count: int) -> dict[str, str | bytes]:
    return {f"content/e{i:02d}.md": f"---\ntitle: Entry {i}\ndate: 2025-0{1 + i % 9}-1{i % 10}\n"
                                    f"tags: [t{i % 3}]\n---\nBody {i}, " + "*words* " * 2000
            for i in range(count)}


def test_a_load_leaves_the_bodies_on_disk_until_one_is_asked_for(tmp_path: Path) -> None:
    """Each entry's bodies (HTML and words: most of state.base) are read from the base
    only when something asks for them; what comes back is what parsing gives."""
    import tracemalloc

    from generator.pipeline import load_log

    root = make_log(tmp_path / "log", _long_entries(24), CONFIG)
    build(root, use_cache=True)
    fresh = {e.source: e for e in load_log(root).site.entries}
    bodies = sum(len(e.body_html) + len(e.body_text) for e in fresh.values())
    tracemalloc.start()
    try:
        state = build_cache.load_build_cache(root, cache.code_key())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(state.parsed) == 24
    assert peak < bodies, (peak, bodies)  # they could not all have been read
    for _, entry, _ in state.parsed.values():
        assert entry is not None and "<em>words</em>" in entry.body_html
        assert entry == fresh[entry.source]  # every field, the bodies too


def test_a_one_edit_build_reads_the_bodies_of_the_edited_entry_only(tmp_path: Path) -> None:
    from generator.model import bodies_later

    root = make_log(tmp_path / "log", _long_entries(24), CONFIG)
    build(root, use_cache=True)
    _edit(root, 0, "Edited.")  # the oldest entry: not in the feed, whose entries it shows
    state = build_cache.load_build_cache(root, cache.code_key(), unread=root / "output")
    loaded = [entry for _, entry, _ in state.parsed.values() if entry is not None]
    assert not any(bodies_later(entry) is None for entry in loaded)
    report = build(root, cache=state)
    assert report.rendered < 24
    read = [entry.source for entry in loaded if bodies_later(entry) is None]
    assert read in ([], ["e00.md"]), read  # (the old version, to compare its page's view)
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_load_makes_each_tag_and_checklist_once(tmp_path: Path) -> None:
    """24 entries name 3 tags and share one practices checklist: loading the records
    makes each of those values once, not once per entry."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key())
    entries = [entry for _, entry, _ in state.parsed.values() if entry is not None]
    assert len(entries) == 24
    assert len({id(tag) for entry in entries for tag in entry.tags}) == 3
    assert len({id(entry.practices) for entry in entries}) == 1
    _edit(root, 3, "Edited.")  # what is made of them is the same
    build(root, use_cache=True)
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_parts_from_different_builds_are_not_trusted_together(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """state.pickle refers to entries by their records: with records of another save (an
    old state.pickle put back, or a journal another build appended to meanwhile), the
    pages it says were rendered from an entry may not be from the one the records hold."""
    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    old = tmp_path / "old-state.pickle"
    shutil.copy(_folder(root) / build_cache.STATE_FILE, old)
    _edit(root, 3, "Edited.")
    build(root, use_cache=True)
    shutil.copy(old, _folder(root) / build_cache.STATE_FILE)
    (_folder(root) / cache.BUILD_FILE).unlink()
    seen = counting(monkeypatch)
    build(root, use_cache=True)
    assert len(seen) == 24


def test_a_commit_that_follows_another_than_the_last_ends_what_is_trusted(
        tmp_path: Path) -> None:
    """Two builds that loaded the same save both append (one between the other's look at
    the journal and its write): the second commit follows the same save as the first, so
    a load stops before it, and the state it belongs with is not trusted."""
    key = cache.code_key()
    made = records.save(tmp_path, "t", key, {"a": 1, "b": 2, "c": 3}, [], None)
    assert made is not None and made.journal == 0
    first = records.save(tmp_path, "t", key, {"a": 10, "b": 2, "c": 3}, ["a"], made)
    assert first is not None and first.base == made.base and first.journal > 0
    raced = replace(made, journal=first.journal)  # as if it had not seen the first commit
    second = records.save(tmp_path, "t", key, {"a": 1, "b": 20, "c": 3}, ["b"], raced)
    assert second is not None and second.journal > first.journal
    loaded = records.load(tmp_path, "t", key)
    assert loaded is not None
    assert (loaded.records, loaded.token) == ({"a": 10, "b": 2, "c": 3}, first.token)
    # The next save cannot follow the journal as it is: it writes a new base.
    third = records.save(tmp_path, "t", key, {"a": 10, "c": 3}, [], loaded)
    assert third is not None and third.journal == 0 and not (tmp_path / "t.journal").exists()
    assert records.load(tmp_path, "t", key) == replace(third, records={"a": 10, "c": 3})


def test_a_save_under_another_name_than_the_last_load_writes_a_base_of_its_own(
        tmp_path: Path) -> None:
    """serve's first save, of the records a build's state loaded: there is no base of its
    name to append a journal to, whoever calls save with what was loaded."""
    key = cache.code_key()
    made = records.save(tmp_path, "state", key, {f"e{i}": i for i in range(16)}, [], None)
    loaded = records.load(tmp_path, "state", key)
    assert made is not None and loaded is not None
    changed = {**loaded.records, "e0": 100}
    served = records.save(tmp_path, "serve", key, changed, ["e0"], loaded)
    assert served is not None and served.journal == 0
    assert records.load(tmp_path, "serve", key) == replace(served, records=changed)
    assert records.load(tmp_path, "state", key) == loaded


def test_every_model_type_is_pickled_by_its_fields_and_comes_back_equal(tmp_path: Path) -> None:
    """model.Plain pickles a frozen dataclass as a call with its fields in order: every
    such type of the model and the page plans, as a built site holds them, comes back
    equal (a field the constructor does not take would fail here first)."""
    import dataclasses
    import pickle

    from generator import model, render

    kinds = {cls for module in (model, render) for cls in vars(module).values()
             if isinstance(cls, type) and issubclass(cls, model.Plain) and cls is not model.Plain}
    assert all(all(f.init for f in dataclasses.fields(cls)) for cls in kinds)
    root = make_log(tmp_path / "log", _entries(6), CONFIG)
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key())
    seen: set[type] = set()
    visited: set[int] = set()
    for found in [*state.memo.held().values(), *(state.restored or ())]:
        assert pickle.loads(pickle.dumps(found)) == found
        stack = [found]
        while stack:
            item = stack.pop()
            if id(item) in visited:
                continue
            visited.add(id(item))
            if dataclasses.is_dataclass(item):
                seen.add(type(item))
                stack.extend(getattr(item, f.name) for f in dataclasses.fields(item))
            elif isinstance(item, tuple | list):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
    assert {model.TagRef, model.Tag, model.Practices, render.PagePlan, render.PageInfo} <= seen


def test_a_base_written_into_while_in_use_is_named_not_read(tmp_path: Path) -> None:
    """state.base copied over in place (a backup put back) after a load, while its bodies
    are still to be read: asking for one stops the build with a message that names the
    file and what to do, not another entry's bodies, nor a bug in the theme."""
    import time

    from generator.errors import GrowthlogError

    root = make_log(tmp_path / "log", _long_entries(24), CONFIG)
    build(root, use_cache=True)
    base = _folder(root) / "state.base"
    backup = tmp_path / "backup.base"
    shutil.copyfile(base, backup)
    for number in range(24):
        _edit(root, number, "Edited.")
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key(), unread=root / "output")
    time.sleep(0.05)  # (a file's times move in ticks of a few ms)
    shutil.copyfile(backup, base)  # the same file, written anew
    _edit(root, 3, "Again.")
    with pytest.raises(GrowthlogError, match="state.base was changed") as raised:
        build(root, cache=state)
    assert "delete" in str(raised.value) and "theme" not in str(raised.value)


def test_a_base_replaced_by_a_save_still_gives_the_bodies_loaded(tmp_path: Path) -> None:
    """A save replaces state.base (a new file): the entries of an earlier load still read
    their bodies from the file they were loaded from."""
    import time

    root = make_log(tmp_path / "log", _long_entries(4), CONFIG)
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key())
    time.sleep(0.05)
    for number in range(4):
        _edit(root, number, "Edited.")
    build(root, use_cache=True)
    for _, entry, _ in state.parsed.values():
        assert entry is not None and "Edited." not in entry.body_text
        assert "<em>words</em>" in entry.body_html


def test_without_pread_entries_are_kept_whole(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where os has no pread (Windows), bodies are not left in the base to read later:
    the state saves and loads with every entry whole, and builds as from nothing."""
    import os

    from generator.model import bodies_later

    monkeypatch.delattr(os, "pread")
    root = make_log(tmp_path / "log", _entries(6), CONFIG)
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key())
    loaded = [entry for _, entry, _ in state.parsed.values() if entry is not None]
    assert len(loaded) == 6 and all(bodies_later(entry) is None for entry in loaded)
    assert all("words" in entry.body_text for entry in loaded)
    _edit(root, 2, "Edited.")
    build(root, use_cache=True)
    build(root, output=tmp_path / "clean")
    assert read_tree(root / "output") == read_tree(tmp_path / "clean")


def test_a_failure_reading_the_bodies_is_not_taken_for_no_body(tmp_path: Path) -> None:
    """An AttributeError while an entry's bodies are read (a bug) is raised as such: not
    taken by a template for an entry without a body, which would show an empty page."""
    import jinja2

    from generator.model import LATER_FIELDS, later_entry

    root = make_log(tmp_path / "log", _entries(1), CONFIG)
    build(root, use_cache=True)
    state = build_cache.load_build_cache(root, cache.code_key())
    [(_, loaded, _)] = state.parsed.values()
    assert loaded is not None

    def broken() -> tuple[str, ...]:
        raise AttributeError("'NoneType' object has no attribute 'read'")

    entry = later_entry(tuple(getattr(loaded, name) for name in LATER_FIELDS), broken)
    with pytest.raises(RuntimeError, match="body_html: 'NoneType'"):
        jinja2.Environment().from_string("{{ entry.body_html }}").render(entry=entry)
    with pytest.raises(AttributeError):
        entry.no_such_field  # noqa: B018


def test_serve_started_from_damaged_bodies_builds_from_nothing(tmp_path: Path) -> None:
    """`serve` from a build's state whose bodies it reads are damaged: the preview is the
    log's, with no error over it."""
    from generator.serve import Rebuilder

    root = make_log(tmp_path / "log", _entries(), CONFIG)
    build(root, use_cache=True)
    _damage_body(root, 7)
    _page_of(root, 7).unlink()  # (rendered again, from its bodies)
    rebuilder = Rebuilder(root, tmp_path / "preview", disk=True)
    result = rebuilder.rebuild()
    assert result.ok and not result.problems, result.problems
    build(root, output=tmp_path / "clean", base_url="/")
    assert read_tree(tmp_path / "preview") == read_tree(tmp_path / "clean")
