"""The {% cache %} tag: a fragment is reused only while its key is equal, never across
two tags, other URLs, or a public and a private build."""

from __future__ import annotations

from pathlib import Path

import jinja2
from test_private import PASSWORD, open_page

from generator.build import build
from generator.build_cache import BuildCache
from generator.fragments import FragmentCache, FragmentStore, chunks
from generator.keys import init_keyfile
from generator.serve import Rebuilder
from generator.watch import classify

from conftest import entry, make_log, read_tree


def env(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True,
                              extensions=[FragmentCache])


def test_fragment_is_rendered_once_per_key_and_again_for_a_new_key() -> None:
    calls: list[str] = []
    environment = env({"page.html": "{% cache name %}<b>{{ shout(name) }}</b>{% endcache %}"})
    environment.globals["shout"] = lambda name: calls.append(name) or name.upper()
    page = environment.get_template("page.html")
    assert [page.render(name=n) for n in ("ann", "ann", "bo")] == [
        "<b>ANN</b>", "<b>ANN</b>", "<b>BO</b>"]
    assert calls == ["ann", "bo"]


def test_two_cache_tags_with_the_same_key_keep_their_own_fragments() -> None:
    environment = env({"a.html": "{% cache x %}A{{ x }}{% endcache %}"
                                 "{% cache x %}B{{ x }}{% endcache %}",
                       "b.html": "{% cache x %}C{{ x }}{% endcache %}"})
    assert environment.get_template("a.html").render(x=1) == "A1B1"
    assert environment.get_template("b.html").render(x=1) == "C1"


def test_cached_fragment_keeps_autoescaping() -> None:
    environment = env({"p.html": "{% cache t %}<i>{{ t }}</i>{% endcache %}"})
    page = environment.get_template("p.html")
    for _ in range(2):
        assert page.render(t="<script>") == "<i>&lt;script&gt;</i>"


def _page(store: FragmentStore, path: str, keys: list[tuple[object, ...]]) -> None:
    store.begin_page()
    for key in keys:
        store.get(key, lambda: "x")
    store.end_page(path)


def test_store_holds_only_what_the_pages_as_last_rendered_use() -> None:
    store = FragmentStore()
    _page(store, "a", [("row", n) for n in range(300)])
    _page(store, "b", [("row", 0), ("b",)])
    for edit in range(8):  # saves: page a shows an edited row each time
        _page(store, "a", [("row", n) for n in range(299)] + [("edit", edit)])
    assert len(store.fragments) == 299 + 1 + 1
    assert ("edit", 7) in store.fragments and ("edit", 6) not in store.fragments
    store.keep_pages({"b"})  # page a is gone
    assert set(store.fragments) == {("row", 0), ("b",)}


def test_a_reused_fragment_keeps_the_fragments_inside_it() -> None:
    store = FragmentStore()

    def chunk() -> str:
        return "".join(store.get(("row", n), lambda: "r") for n in range(3))

    for _ in range(3):  # the chunk is reused: its rows are still the page's
        store.begin_page()
        store.get(("chunk",), chunk)
        store.end_page("list")
    assert set(store.fragments) == {("chunk",), ("row", 0), ("row", 1), ("row", 2)}
    _page(store, "list", [("other",)])
    assert set(store.fragments) == {("other",)}


def test_chunks_are_tuples_that_cover_every_item_in_order() -> None:
    items = list(range(120))
    parts = chunks(items)
    assert [len(p) for p in parts] == [50, 50, 20]
    assert [i for p in parts for i in p] == items
    assert all(isinstance(p, tuple) for p in parts)
    assert chunks([]) == []


def test_a_title_edit_reaches_every_list_page_that_shows_the_entry(tmp_path: Path) -> None:
    files = {f"content/e{n}.md": entry(f"Entry {n}", f"2025-0{n}-01", tags="[nerves]",
                                       lessons=f"[Lesson {n}]", actions=f"[Action {n}]")
             for n in range(1, 8)}
    root = make_log(tmp_path / "log", files)
    preview = tmp_path / "preview"
    rebuilder = Rebuilder(root, preview)
    assert rebuilder.rebuild().ok
    path = root / "content/e3.md"
    path.write_text(path.read_text().replace("Entry 3", "Renamed three"))
    assert rebuilder.rebuild(classify([path], root.resolve())).ok
    for page in ("timeline", "lessons", "actions", "tags/nerves", "timeline/2025",
                 "stages/applied" if (preview / "stages/applied").exists() else "timeline"):
        html = (preview / page / "index.html").read_text()
        assert "Renamed three" in html and "Entry 3<" not in html, page


def test_private_build_after_a_public_one_links_by_opaque_names_only(tmp_path: Path) -> None:
    """Same BuildCache, same theme: no fragment and no imported macro module may keep
    the public build's links (Jinja caches a module imported without context)."""
    root = make_log(tmp_path / "log", {"content/a.md": entry("Secret Co", tags="[nerves]",
                                                             lessons="[Breathe]")})
    init_keyfile(root, PASSWORD)
    cache = BuildCache()
    build(root, output=tmp_path / "public", cache=cache, private=False)
    assert b"/entries/secret-co/" in (tmp_path / "public/lessons/index.html").read_bytes()
    build(root, output=tmp_path / "private", cache=cache, private=True, password=PASSWORD)
    pages = {path: data for path, data in read_tree(tmp_path / "private").items()
             if path.endswith(".html") and b'id="gl-page"' in data}
    assert len(pages) > 5
    for path, data in pages.items():
        _, body = open_page(root, path, data)
        assert "secret-co" not in body and "/lessons/" not in body, path


class _Counted:
    """A key part that counts how often it is hashed (each look-up in a set or dict)."""

    hashed = 0

    def __init__(self, n: int) -> None:
        self.n = n

    def __hash__(self) -> int:
        _Counted.hashed += 1
        return self.n

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Counted) and other.n == self.n


def test_a_reused_chunk_costs_nothing_per_row_inside_it() -> None:
    """serve renders a dozen list pages of a thousand rows on every save: a page that
    reuses a chunk must not visit the chunk's rows again (it owns them through it)."""
    store = FragmentStore()
    rows = [_Counted(n) for n in range(200)]

    def chunk(part: list[_Counted]) -> str:
        return "".join(store.get(("row", row), lambda: "r") for row in part)

    def page(path: str) -> None:
        store.begin_page()
        for start in range(0, 200, 50):
            part = rows[start:start + 50]
            store.get(("chunk", start), lambda part=part: chunk(part))  # type: ignore[misc]
        store.end_page(path)

    page("a")
    assert len(store.fragments) == 4 + 200
    _Counted.hashed = 0
    for path in ("a", "b", "a", "b"):
        page(path)
    assert _Counted.hashed == 0
    store.keep_pages({"b"})
    assert len(store.fragments) == 4 + 200
    store.keep_pages(set())
    assert store.fragments == {}


def test_a_fragment_that_fails_leaves_nothing_of_its_own_behind() -> None:
    store = FragmentStore()
    _page(store, "a", [("kept",)])

    def broken() -> str:
        store.get(("kept",), lambda: "k")
        store.get(("made on the way",), lambda: "m")
        raise RuntimeError("a theme's bug")

    store.begin_page()
    try:
        store.get(("broken",), broken)
    except RuntimeError:
        pass
    store.end_page("b")
    assert set(store.fragments) == {("kept",)}
    store.keep_pages({"b"})
    assert store.fragments == {}


def test_a_fragment_the_page_also_used_survives_a_failing_fragment_that_used_it() -> None:
    """A fragment looked up at the page's top level and again inside a fragment that fails
    is the page's (it owns it once the page ends): not dropped with what the failure made,
    so the theme's error is reported, not a KeyError of the store."""
    store = FragmentStore()
    store.begin_page()
    store.get(("card", 1), lambda: "c")

    def broken() -> str:
        store.get(("card", 1), lambda: "c")
        store.get(("made on the way",), lambda: "m")
        raise RuntimeError("a theme's bug")

    try:
        store.get(("chunk",), broken)
    except RuntimeError:
        pass
    store.end_page("a")
    assert set(store.fragments) <= {("card", 1)}
    store.keep_pages(set())
    assert store.fragments == {}
