"""Issue 10 #8: what a page costs does not grow with how many tags one entry holds.

Each of an entry's tag pages listed all its tags on the entry's card: 1,000 tags took
5 s, 10,000 took 167 s. A card now shows the first few and a link to the rest; the
entry's own page shows them all. (Timings: benchmarks, not here.)
"""

from __future__ import annotations

from pathlib import Path

from generator.build import build

from conftest import make_log


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
