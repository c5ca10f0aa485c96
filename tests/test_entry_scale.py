"""Issue 10 #8: what a page costs does not grow with how many tags one entry holds.

Each of an entry's tag pages listed all its tags on the entry's card: 1,000 tags took
5 s, 10,000 took 167 s. A card now shows the first few and a link to the rest; the
entry's own page shows them all. (Timings: benchmarks, not here.)
"""

from __future__ import annotations

from pathlib import Path

from generator.build import build, check

from conftest import entry, make_log


def test_a_card_on_a_tag_page_shows_a_bounded_number_of_chips(tmp_path: Path) -> None:
    tags = ", ".join(f"tag-{i}" for i in range(200))
    root = make_log(tmp_path / "log", {
        "content/big.md": f"---\ntitle: Big\ndate: 2026-03-14\ntags: [{tags}]\n---\nBody.\n"})
    build(root, base_url="/")
    out = root / "output"
    tag_page = (out / "tags/tag-150/index.html").read_text(encoding="utf-8")
    assert tag_page.count('class="chip"') <= 12
    assert '188 more</a>' in tag_page and 'href="/entries/big/"' in tag_page
    entry_page = (out / "entries/big/index.html").read_text(encoding="utf-8")
    assert entry_page.count('class="chip"') == 200


def test_a_year_mistyped_as_0024_warns_and_keeps_the_progress_page_small(
        tmp_path: Path) -> None:
    root = make_log(tmp_path / "log", {
        "content/typo.md": "---\ntitle: Typo\ndate: 0024-03-14\n---\nBody.\n",
        "content/b.md": "---\ntitle: Fine\ndate: 2025-01-02\n---\nBody.\n"})
    report = build(root, base_url="/")
    assert any("the year 24 is far from now" in w.format() for w in report.warnings)
    page = root / "output/progress/index.html"
    assert page.stat().st_size < 200_000, page.stat().st_size


def test_far_more_tags_or_items_than_an_entry_needs_is_a_warning_with_its_line(
        tmp_path: Path) -> None:
    """Issue 10 #8: 100,000 tags in one entry built 100,000 tag pages without a word (the
    cost is linear now, so they are built: the author is asked instead)."""
    def items(n: int) -> str:
        return "".join(f"\n  - item {i}" for i in range(n))

    tags = ", ".join(f"tag-{i}" for i in range(101))
    root = make_log(tmp_path / "log", {
        "content/big.md": f"---\ntitle: Big\ndate: 2026-03-14\ntags: [{tags}]\n"
                          f"lessons:{items(1001)}\npostmortem:\n  went_well:{items(1001)}\n"
                          f"---\nBody.\n",
        "content/fine.md": f"---\ntitle: Fine\ndate: 2026-03-15\ntags: [{tags[:-9]}]\n"
                           f"lessons:{items(1000)}\n---\nBody.\n"})
    expected = [
        "content/big.md:4: warning: tags: 101 tags, and each tag is a page of its own: are "
        "these meant as tags?",
        "content/big.md:5: warning: lessons: 1,001 items, all shown on the entry's page: is "
        "the list meant to be this long?",
        "content/big.md:1008: warning: postmortem.went_well: 1,001 items, all shown on the "
        "entry's page: is the list meant to be this long?"]
    assert [p.format() for p in check(root)] == expected
    assert [p.format() for p in build(root).warnings] == expected
    assert (root / "output/tags/tag-100/index.html").is_file()


def test_no_page_grows_with_how_far_apart_the_dates_are(tmp_path: Path) -> None:
    """Issue 10 #8: a year typed 0024 made entries-per-month list every month of 2,000
    years (a 2.9 MB progress page). Every page of a log with years 0024, 0025 and 9999
    stays the size of the same log's pages with the years meant."""
    def log(name: str, old: str, applied: str, due: str) -> dict[str, int]:
        files: dict[str, str | bytes] = {
            f"content/e{i}.md": entry(f"Role {i} at Acme", f"2025-{i % 12 + 1:02d}-10",
                                      stage="interview", actions="\n  - text: call\n    "
                                      "due: 2026-05-01") for i in range(12)}
        files["content/old.md"] = entry("Old at Acme", old, stage="offer",
                                        actions=f"\n  - text: far\n    due: {due}")
        files["content/applied.md"] = entry("Applied at Acme", "2025-03-14", stage="offer",
                                            applied=applied)
        root = make_log(tmp_path / name, files)
        build(root, base_url="/")
        return {p.relative_to(root / "output").as_posix(): p.stat().st_size
                for p in (root / "output").rglob("*") if p.is_file()}

    meant = log("meant", "2024-03-14", "2025-01-01", "2026-12-31")
    typed = {page.replace("timeline/24/", "timeline/2024/"): size  # the year's own pages
             for page, size in log("typed", "0024-03-14", "0025-01-01", "9999-12-31").items()}
    assert meant.keys() == typed.keys()
    grown = {page: (meant[page], size) for page, size in typed.items()
             if size > meant[page] * 1.2 + 500}
    assert grown == {}
