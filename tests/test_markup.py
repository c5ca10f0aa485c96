"""markup.py: CommonMark + extensions, escaped raw HTML, relative links to attachments."""

from __future__ import annotations

import re

import pytest

from generator.markup import LinkContext, render_markdown
from generator.private import OpaqueNames
from generator.urls import Urls

NO_LINKS = LinkContext("", frozenset())


def _html(text: str, **kwargs: bool) -> str:
    return render_markdown(text, NO_LINKS, **kwargs).html


def test_commonmark_basics() -> None:
    assert _html("Some *emphasis* and **strong** and `code`.") == (
        "<p>Some <em>emphasis</em> and <strong>strong</strong> and <code>code</code>.</p>\n")


def test_tables() -> None:
    html = _html("| Round | Felt |\n|---|---|\n| SQL | easy |\n")
    assert "<table>" in html
    assert "<th>Round</th>" in html
    assert "<td>easy</td>" in html


def test_strikethrough() -> None:
    assert _html("~~panic~~ calm") == "<p><s>panic</s> calm</p>\n"


def test_footnotes() -> None:
    html = _html("A claim.[^1]\n\n[^1]: The source.\n")
    assert 'class="footnote-ref"' in html
    assert 'class="footnotes"' in html
    assert "The source." in html


def test_task_lists() -> None:
    html = _html("- [x] Update resume\n- [ ] Book a mock\n")
    assert html.count('type="checkbox"') == 2
    assert html.count('checked="checked"') == 1


def test_heading_anchors() -> None:
    html = _html("## What went well\n\n### Next time\n")
    assert '<h2 id="what-went-well">What went well</h2>' in html
    assert '<h3 id="next-time">Next time</h3>' in html


def test_raw_html_is_escaped_by_default() -> None:
    html = _html("<script>alert(1)</script>\n\nText with <b>bold</b> and <img src=x onerror=y>.")
    assert "<script" not in html
    assert "<b>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unsafe_html_lets_raw_html_through() -> None:
    html = _html("<script>alert(1)</script>\n\nText with <b>bold</b>.", unsafe_html=True)
    assert "<script>alert(1)</script>" in html
    assert "<b>bold</b>" in html


def test_javascript_links_are_not_rendered_as_links() -> None:
    assert "href=\"javascript" not in _html("[x](javascript:alert(1))")


def test_relative_links_to_attachments_are_rewritten() -> None:
    links = LinkContext("2026", frozenset({"2026/images/board.svg", "cv.pdf"}), Urls("/log/"))
    result = render_markdown(
        "![Board](images/board.svg \"t\") and [my CV](../cv.pdf#page=2)", links)
    assert result.broken_links == ()
    assert 'src="/log/media/2026/images/board.svg"' in result.html
    assert 'href="/log/media/cv.pdf#page=2"' in result.html
    assert result.attachments == ("2026/images/board.svg", "cv.pdf")


def test_percent_encoded_link_targets_resolve() -> None:
    links = LinkContext("", frozenset({"my notes.pdf"}), Urls())
    result = render_markdown("[n](my%20notes.pdf) [m](<my notes.pdf>)", links)
    assert result.broken_links == ()
    assert result.html.count('href="/media/my%20notes.pdf"') == 2


ODD = frozenset({"att/diagram.png", "att/report.pdf", "att/scan#1.png", "att/what?.png",
                 "att/100%.png", "att/caf\u00e9 x.png"})
FORMS = ("![](att/diagram.png#zoom) [p](att/report.pdf#page=2) [q](att/report.pdf?dl=1#p=3) "
         "![](att/scan%231.png) ![](att/what%3F.png) ![](att/100%25.png) "
         "![](<att/caf\u00e9 x.png>) ![](./att/../att/diagram.png)")


def test_every_spelling_of_an_attachment_href_resolves_once_in_public_mode() -> None:
    result = render_markdown(FORMS, LinkContext("", ODD, Urls("/")))
    assert result.broken_links == ()
    hrefs = re.findall(r'(?:src|href)="([^"]*)"', result.html)
    assert hrefs == ["/media/att/diagram.png#zoom", "/media/att/report.pdf#page=2",
                     "/media/att/report.pdf?dl=1#p=3", "/media/att/scan%231.png",
                     "/media/att/what%3F.png", "/media/att/100%25.png",
                     "/media/att/caf%C3%A9%20x.png", "/media/att/diagram.png"]


def test_every_spelling_of_an_attachment_href_gets_its_opaque_name_in_private_mode() -> None:
    names = OpaqueNames(bytes(32))
    result = render_markdown(FORMS, LinkContext("", ODD, Urls("/", rename=names)))
    hrefs = re.findall(r'(?:src|href)="([^"]*)"', result.html)
    token = r"/[a-z2-7]{16}\.bin"
    assert len(hrefs) == 8 and all(re.fullmatch(token + r"(?:#[^#?]*)?", h) for h in hrefs)
    assert hrefs[0].endswith(".bin#zoom") and hrefs[2].endswith(".bin#p=3")  # no query
    assert hrefs[0].split("#")[0] == hrefs[-1]
    assert sorted(names.logical.values()) == sorted(f"media/{a}" for a in ODD)


def test_relative_link_to_a_missing_file_is_reported_with_its_body_line() -> None:
    result = render_markdown("Intro.\n\nSee ![x](gone.png).\n", NO_LINKS)
    assert result.broken_links == ((3, "gone.png"),)


def test_absolute_external_anchor_and_entry_links_are_left_alone() -> None:
    text = ("[a](https://example.com/x) [b](/timeline/) [c](#top) [d](mailto:me@x.org) "
            "[e](other-entry.md)")
    result = render_markdown(text, NO_LINKS)
    assert result.broken_links == ()
    for href in ("https://example.com/x", "/timeline/", "#top", "mailto:me@x.org"):
        assert f'href="{href}"' in result.html
    # a link to an entry file waits for every entry to be read (entry_links.py)
    assert result.entry_links == ((1, "growthlog-entry:other-entry.md", "other-entry.md"),)


def test_plain_text_and_summary() -> None:
    result = render_markdown("# Heading\n\nFirst *para* here.\n\nSecond.\n", NO_LINKS)
    assert result.summary == "First para here."
    assert "Second." in result.text


@pytest.mark.parametrize(("body", "summary"), [
    # shapes from Jekyll's own news posts: a link, code with underscores, a link to a post
    ("He is [legal to drink](https://en.wikipedia.org/wiki/Legal_drinking_age). Cheers\n",
     "He is legal to drink. Cheers"),
    ("A bug in our\n`Jekyll.sanitized_path` code, see [`jekyll#2563`](https://x.org/2563):\n",
     "A bug in our Jekyll.sanitized_path code, see jekyll#2563:"),
    ("Without the [lessons of the\nlast one](growthlog-wiki:_posts/2017-03-02-a.markdown).\n",
     "Without the lessons of the last one."),
    ("**Offer** at *Acme* &mdash; ~~maybe~~ yes, a \\*star\\*, ![logo](logo.png) and <br> "
     "<https://acme.example>\n",
     "Offer at Acme — maybe yes, a *star*, logo and https://acme.example"),
], ids=["link", "code-with-underscores", "entry-link-over-lines", "emphasis-and-html"])
def test_summary_is_the_text_a_reader_sees(body: str, summary: str) -> None:
    assert render_markdown(body, NO_LINKS).summary == summary


def test_summary_is_cut_at_a_word_with_an_ellipsis() -> None:
    result = render_markdown("word " * 100, NO_LINKS)
    assert len(result.summary) <= 220
    assert result.summary.endswith("word…")


def test_attachments_in_raw_html_get_their_final_href_too() -> None:
    names = OpaqueNames(bytes(32))
    links = LinkContext("2026", ODD, Urls("/", rename=names))
    text = ('<img src="../att/diagram.png" width="40"> <a href=\'../att/scan%231.png#z\'>s</a>\n\n'
            '<figure><img src=../att/report.pdf alt="r"><img src="https://x.org/a.png">'
            '</figure>\n')
    result = render_markdown(text, links, unsafe_html=True)
    hrefs = re.findall(r'(?:src|href)=("[^"]*"|\'[^\']*\'|\S+)', result.html)
    assert hrefs[-1] == '"https://x.org/a.png"'
    assert all(re.fullmatch(r'"/[a-z2-7]{16}\.bin(?:#z)?"', h) for h in hrefs[:-1]), hrefs
    assert len(hrefs) == 4 and "att/" not in result.html
    assert set(result.attachments) == {"att/diagram.png", "att/scan#1.png", "att/report.pdf"}
    escaped = render_markdown(text, links)  # raw HTML off: shown as text, nothing to link
    assert "&lt;img" in escaped.html and escaped.attachments == ()


def test_heading_ids_are_mdit_py_plugins_slugs_for_every_character() -> None:
    """markup._slugify keeps the CJK block by a function, not in its pattern's class (its
    compile built a table of 20,992 characters): the same slug for every character, and
    for headings mixing them."""
    import random
    import sys

    from mdit_py_plugins.anchors.index import slugify

    from generator.markup import _slugify

    every = [chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF]
    assert [c for c in every if _slugify(c) != slugify(c)] == []
    rng = random.Random(11)
    for _ in range(2000):
        title = "".join(rng.choice(every) if rng.random() < 0.3 else rng.choice(" -_a1Zé你?")
                        for _ in range(rng.randint(0, 12)))
        assert _slugify(title) == slugify(title), title


def test_rendering_a_heading_compiles_no_pattern() -> None:
    """Each process that renders bodies compiled the slug pattern for itself (1.2 ms)."""
    import subprocess
    import sys

    probe = ("import re._compiler as c\n"
             "from generator.markup import LinkContext, render_markdown\n"
             "made = []\n"
             "compile = c.compile\n"
             "c.compile = lambda *a: made.append(a) or compile(*a)\n"
             "html = render_markdown('## Trade-off: why?\\n\\nText.\\n',"
             " LinkContext('', frozenset())).html\n"
             "print(len(made), 'id=\"trade-off-why\"' in html)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["0", "True"]
