"""The fast renderer (markdown-it-pyrs) gives the same result as markdown-it-py ([speed]).

Same HTML byte for byte, the same words for search, the same summary, broken links,
attachments and links to other entries, on: every CommonMark spec example and every
input of markdown-it-py's own fixtures (tests/fixtures/markdown/cases.json, inputs only,
taken from markdown-it-py 4.3's tests; the spec is CC-BY-SA 4.0, the fixtures MIT), the
sample log and every test fixture (after the Obsidian pass: wikilinks, embeds, callouts),
task lists in labels, every spelling of an attachment href in public and private mode,
and random mixes of the constructs growthlog enables. Whole builds of the sample log and
the other tools' fixtures are byte-identical with either renderer. A body the Rust
renderer would get wrong, or could panic on, goes to markdown-it-py; those cases are in
the lists above and in FALLBACK below.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import markup
from generator.build import build
from generator.markup import LinkContext, RenderedMarkdown, render_markdown
from generator.notes import callouts, prepare
from generator.private import OpaqueNames
from generator.search_index import plain_text
from generator.sources import split_source
from generator.urls import Urls

from conftest import REPO, make_log, read_tree

CASES = json.loads((REPO / "tests/fixtures/markdown/cases.json").read_text(encoding="utf-8"))
ASSETS = frozenset({"2026/pic.png", "2026/my file.pdf", "a.png", "att/diagram.png",
                    "att/report.pdf", "att/scan#1.png", "att/what?.png", "att/100%.png",
                    "att/caf\u00e9 x.png", "2026/sub/deep.png"})
LINKS = LinkContext("2026", ASSETS, Urls("/site/"))
PRIVATE = LinkContext("2026", ASSETS, Urls("/", rename=OpaqueNames(bytes(32))))
TOP = LinkContext("", ASSETS, Urls("/"))
TOP_PRIVATE = LinkContext("", ASSETS, Urls("/", rename=OpaqueNames(bytes(32))))
OURS = [
    "## Intro\n\n### Intro\n\n## Intro `code` *em* ![alt](pic.png)\n\n# Top\n\n#### Deep\n",
    "Setext two\n---\n\nNot a heading\n",
    "See [the offer](my%20file.pdf#page=2), ![chart](pic.png \"t\") and [gone](nope.pdf).\n"
    "And [up](../a.png), [other entry](other.md), [web](https://example.org/x.png), "
    "[anchor](#top), [mail](mailto:a@b.c).\n",
    "> quoted [link](pic.png)\n> second line with `code`\n>\n> - [ ] task in a quote\n",
    "Note[^a] and another[^long].\n\n[^a]: The *note* with [link](pic.png).\n"
    "[^long]: Two\n\n    paragraphs.\n",
    "| what | link |\n|:--|--:|\n| `a\\|b` | [pic](pic.png) |\n| ~~gone~~ | [x](missing.png) |\n",
    "Line one  \nline two\n\n    indented code [x](nope.png)\n\n```\nfence [x](nope.png)\n```\n",
    "Text with <b>tags</b> &amp; entities &copy; and \\*escapes\\*.\n",
    "- a\n  - b [link](pic.png)\n    - c\n\n  para in item\n",
]
TASKS = [  # checkboxes and their text inside <label> (an accessibility fix on main)
    "- [ ] open\n- [x] done\n  with more\n- [X] upper\n- plain\n",
    "- [ ] a *em* [link](pic.png) [e](other.md)\n  - [x] nested\n    - [ ] deeper\n- [ ] b\n",
    "- [ ] a\n  > quoted under a task\n- [x] b\n",
    "- [x] b\n  | t |\n  |---|\n  | c |\n",
    "- [ ] a\n  ***\n- [ ] b\n  # heading in an item\n",
    "3. [ ] from three\n4. [x] four\n",
    "> - [ ] in a quote\n>   - [x] nested in a quote\n",
    "- [ ] note[^t] `code` ~~gone~~  \n  hard break\n\n[^t]: A note.\n",
    "- [ ]\n- [x] after an empty one\n- [ ]not a task\n",
    "1. one\n   - [ ] task under an ordered item\n",
]
ENTRY_LINKS = [  # relative links to entry files: addresses entry_links.py resolves later
    "[a](other.md) [b](other.md#Some%20heading) [c](../2025/old.md) [d](./sub/x.markdown)\n"
    "![not a link](other.md) [e](<with space.md>) [f](Caf%C3%A9.md#x)\n",
    "Intro.\n\n> [quoted](q.md)\n\n- [listed](l.md)\n\n| t |\n|---|\n| [cell](c.md) |\n",
    "[to a file](report.md?x=1#y) [upper](UPPER.MD) [mixed](pic.png) [gone](gone.txt)\n",
]
NOTES = [  # Obsidian bodies, run through notes.prepare as entries.py does
    "Compare with [[Beta screen|the Beta call]] and [[Beta screen#What went well]].\n"
    "The whiteboard: ![[pic.png]] and ![[deep.png|300]] and ![[missing.png]].\n\n"
    "See also [[Gamma take-home]], which I never wrote up. `[[not a link]]` stays code.\n",
    "> [!question] Why did the design round go badly?\n> I jumped to [[components]].\n\n"
    "> [!note]\n> Plain.\n\n> [!tip]- Folded\n> - [ ] a task [[in a callout]]\n",
    "company:: Acme\nrole:: Data Engineer\n\n#interview #system-design text\n\n"
    "- [ ] ask about [[Recruiter#Call notes|the call]]\n- [x] ![[pic.png]]\n",
    "[[Note with *stars* and _underscores_]] [[a|b|c]] [[#Only a heading]] ![[Other note]]\n",
    "Nested > [[x]]\n\n> > [!warning] Inner\n> > [[deep]]\n",
]
# Every spelling of an attachment href (tests/test_markup.py, tests/test_leaks.py).
FORMS = ("![](att/diagram.png#zoom) [p](att/report.pdf#page=2) [q](att/report.pdf?dl=1#p=3) "
         "![](att/scan%231.png) ![](att/what%3F.png) ![](att/100%25.png) "
         "![](<att/caf\u00e9 x.png>) ![](./att/../att/diagram.png)\n")
ODD_NAMES = ("scan#canary.svg", "what?canary.svg", "100%canary.svg", "semi;canary.svg",
             "with space canary.svg", "new\nline canary.svg", "caf\u00e9 canary.svg",
             "&amp;canary'\".svg", "long" + "canary" * 40 + ".svg")
ODD = frozenset(f"att/{name}" for name in ODD_NAMES)
LEAKS = [
    "\n\n".join(f"![a](att/{quote(name)})" for name in ODD_NAMES),
    "![d](att/diagram.png#zoom)\n\n[page 2](att/report.pdf#page=2)\n\n"
    "[dl](att/report.pdf?download=1)\n\n![s](att/scan%231.png)\n\n"
    "![c](<att/caf\u00e9 x.png>)\n\n![w](att/what%3F.png#x)",
    "[out](../../secret.txt) ![out](../outside.png) [up](../../../etc/passwd)\n",
]
FALLBACK = ["*£*bravo\n", "![foo\\\nbar](pic.png)\n", "`   `\n", "[foo `bar` baz`\n",
            "![alt `code` x`\n", "1. [ ] loose\n\n2. [x] task list\n",
            "Twice[^n] referred to[^n].\n\n[^n]: The note.\n",
            "- [ ] code after a task\n  ```\n  x\n  ```\n", "- [x]\tafter a tab\n",
            "Text\n[^n]: a note under it\n\nx[^n]\n", "```\nno line break at the end",
            "> quote\n*\n", "- item\n|---|\n", "> a | b\n|---|---|\n", "~~a~~~~b~~\n"]


MARKDOWN = markup.Markdown()
"""One set of parsers for the thousands of bodies compared here, as a build has."""


def same(text: str, links: LinkContext = LINKS) -> bool:
    """The fast path's result equals the reference's; whether the fast path took it."""
    reference = markup._render_py(text, links, MARKDOWN.py(unsafe_html=False))
    fast = markup._fast(text, links, MARKDOWN.rs())
    got = MARKDOWN(text, links)
    for rendered in ((got, fast) if fast is not None else (got,)):
        assert rendered.html == reference.html
        assert callouts(rendered.html) == callouts(reference.html)
        assert plain_text(rendered.text) == plain_text(reference.text)
        assert rendered.summary == reference.summary
        assert rendered.broken_links == reference.broken_links
        assert rendered.attachments == reference.attachments
        assert rendered.entry_links == reference.entry_links
    return fast is not None


def prepared(text: str, links: LinkContext = LINKS) -> str:
    return prepare(text, links.source_dir, links.assets).text


@pytest.mark.parametrize("group", sorted(CASES))
def test_fixture_cases_render_the_same(group: str) -> None:
    texts = [c["markdown"] if isinstance(c, dict) else c for c in CASES[group]]
    fast = sum(same(text) for text in texts)
    if len(texts) > 20:  # most on the fast path, so the test compares two renderers
        assert fast >= 0.8 * len(texts)


@pytest.mark.parametrize("text", OURS + TASKS + ENTRY_LINKS)
def test_what_growthlog_enables_renders_the_same(text: str) -> None:
    assert same(text)
    assert same(text, PRIVATE)
    assert same(text.replace("\n", "\r\n"))


@pytest.mark.parametrize("text", NOTES)
def test_wikilinks_embeds_and_callouts_render_the_same(text: str) -> None:
    for links in (LINKS, PRIVATE):
        assert same(prepared(text, links), links)
    assert "growthlog-wiki:" in render_markdown(prepared(text), LINKS).html


@pytest.mark.parametrize("links", [TOP, TOP_PRIVATE], ids=["public", "private"])
def test_every_spelling_of_an_attachment_href_renders_the_same(links: LinkContext) -> None:
    assert same(FORMS, links)
    odd = LinkContext("", ODD | ASSETS, links.urls)
    for text in LEAKS:
        assert same(text, odd)


@pytest.mark.parametrize("text", FALLBACK)
def test_what_the_fast_path_gets_wrong_goes_to_the_reference(text: str) -> None:
    assert not same(text)
    assert not same(text.replace("\n", "\r\n"))  # whatever the line breaks


def test_sample_log_and_every_fixture_render_the_same() -> None:
    files = sorted((REPO / "content").rglob("*.md")) + sorted(
        (REPO / "tests" / "fixtures").rglob("*.md"))
    checked = fast = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        source, _ = split_source(path.name, text)
        body = source.body if source is not None else text
        fast += same(prepared(body))
        checked += 1
    assert checked > 40 and fast == checked


def test_ordinary_bodies_use_the_fast_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> RenderedMarkdown:
        raise AssertionError("markdown-it-py used")

    monkeypatch.setattr(markup, "_render_py", refuse)
    for text in OURS + TASKS + ENTRY_LINKS + [prepared(t) for t in NOTES]:
        render_markdown(text, LINKS)
    for text in FALLBACK:
        with pytest.raises(AssertionError):
            render_markdown(text, LINKS)


def test_unsafe_html_passes_raw_html_through() -> None:
    rendered = render_markdown("<b>bold</b> [x](pic.png)\n", LINKS, unsafe_html=True)
    assert rendered.html == '<p><b>bold</b> <a href="/site/media/2026/pic.png">x</a></p>\n'
    assert rendered.attachments == ("2026/pic.png",)


PIECES = ["## Heading", "### Heading", "word", "*em*", "**strong**", "~~s~~", "`code`",
          "[link](pic.png)", "![img](a.png)", "[gone](nope.pdf)", "[^n]", "\n\n[^n]: note",
          "- item", "- [ ] task", "- [x] done", "  - [ ] nested", "1. one", "> quote",
          "| a | b |\n|---|---|\n| c | d |", "[e](other.md#h)", "[[Wiki note|alias]]",
          "![[pic.png]]", "> [!note] Title", "\n```\nfence\n```\n", "  ",
          "\n", "\n\n", "&amp;", "\\*", "#", "[", "]", "(", ")", "`", "|", "    code"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map(" ".join))
def test_random_mixes_render_the_same(text: str) -> None:
    same(prepared(text))


def test_a_body_that_would_panic_the_rust_renderer_still_renders(
        capfd: pytest.CaptureFixture[str]) -> None:
    rendered = render_markdown("[foo `bar` baz`\n\nMore [x](pic.png).\n", LINKS)
    assert "media/2026/pic.png" in rendered.html
    assert "panicked" not in capfd.readouterr().err


def test_rendered_markdown_with_a_link_to_a_missing_file_names_its_line() -> None:
    text = ("First paragraph.\n\nSecond with\na [gone](nope.pdf) link.\n\n"
            "| a |\n|---|\n| [x](y.pdf) |\n")
    assert render_markdown(text, LINKS).broken_links == ((3, "nope.pdf"), (8, "y.pdf"))


@pytest.mark.parametrize("log", ["sample", "obsidian", "hugo", "jekyll"])
def test_a_whole_build_is_byte_identical_with_either_renderer(
        log: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_log(tmp_path / "log", {})
    if log == "sample":
        shutil.copytree(REPO / "content", root / "content")
    else:
        shutil.copytree(REPO / "tests" / "fixtures" / "sources" / log, root / "content")
    real = markup._render_rs
    calls: list[bool] = []

    def counted(text: str, links: LinkContext, md: object) -> RenderedMarkdown | None:
        rendered = real(text, links, md)
        calls.append(rendered is not None)
        return rendered

    monkeypatch.setattr(markup, "_render_rs", counted)
    build(root, output=tmp_path / "fast")
    assert calls and all(calls)
    monkeypatch.setattr(markup, "_render_rs", lambda text, links, md: None)
    build(root, output=tmp_path / "reference")
    assert read_tree(tmp_path / "fast") == read_tree(tmp_path / "reference")
