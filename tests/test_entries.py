"""entries.py: front matter → Entry, or problems that name file, line and field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator import entries
from generator.config import SiteConfig
from generator.entries import make_slug, parse_entry, source_dir
from generator.errors import Severity
from generator.markup import LinkContext
from generator.model import Entry
from generator.pipeline import load_log
from generator.sources import split_source

from conftest import entry, make_log

NO_LINKS = LinkContext("", frozenset())


def _parse(front: str, body: str = "Body.\n", config: SiteConfig | None = None,
           links: LinkContext = NO_LINKS) -> tuple[Entry | None, list[str]]:
    source, problems = split_source("content/x.md", f"---\n{front}---\n{body}")
    assert source is not None, problems
    entry, more = parse_entry(source, config or SiteConfig(), links)
    return entry, [p.format() for p in problems + more]


def _errors(front: str, config: SiteConfig | None = None) -> list[str]:
    entry, problems = _parse(front, config=config)
    assert entry is None
    return problems


HEAD = "title: T\ndate: 2026-01-01\n"


def test_full_entry_becomes_typed_model() -> None:
    entry, problems = _parse(
        "title: Senior Data Engineer at Acme\ndate: 2026-03-14\ncompany: Acme\n"
        "role: Data Engineer\nstage: interview\noutcome: rejected\napplied: 2026-02-01\n"
        "tags: [System Design, nerves]\nfeedback:\n  asked: true\n  from: Hiring manager\n"
        "  received: Weak on trade-offs\nsupport:\n  - who: Sam\n    took_away: Practise\n"
        "postmortem:\n  went_well: [Rapport]\n  to_improve: Modelling\n"
        "bridges:\n  thank_you_sent: 2026-03-15\n  keep_in_touch: true\n"
        "lessons: [Lead with trade-offs]\n"
        "actions:\n  - Two mocks a week\n  - {text: Update resume, done: true}\n")
    assert problems == []
    assert entry is not None
    assert entry.source == "x.md"
    assert entry.slug == "senior-data-engineer-at-acme"
    assert (entry.stage, entry.stage_index, entry.outcome) == ("interview", 3, "rejected")
    assert entry.days_to_answer == 41
    assert [(t.slug, t.name) for t in entry.tags] == [("system-design", "System Design"),
                                                      ("nerves", "nerves")]
    assert entry.feedback is not None and entry.feedback.given_by == "Hiring manager"
    assert entry.postmortem is not None and entry.postmortem.to_improve == ("Modelling",)
    assert entry.bridges is not None and entry.bridges.thank_you_date == dt.date(2026, 3, 15)
    assert [a.text for a in entry.open_actions] == ["Two mocks a week"]
    assert entry.practices.count == 5
    assert entry.body_html == "<p>Body.</p>\n"


def test_practices_show_what_is_missing() -> None:
    entry, _ = _parse(HEAD + "feedback:\n  asked: false\nbridges:\n  thank_you_sent: false\n")
    assert entry is not None
    p = entry.practices
    assert (p.feedback_asked, p.support_sought, p.postmortem_written, p.thank_you_sent,
            p.actions_set) == (False, False, False, False, False)


@pytest.mark.parametrize(("front", "expected"), [
    ("title: T\ndate: 2026-01-01\ncompany: Acme\nstage: onsight\n",
     "content/x.md:5: stage: expected one of applied, screen, assessment, interview, final, "
     "offer; found 'onsight'"),
    (HEAD + "outcome: fired\n",
     "content/x.md:4: outcome: expected one of rejected, ghosted, withdrew, closed; "
     "found 'fired'"),
    (HEAD + "company: no\n",
     "content/x.md:4: company: expected text; found no (YAML reads a bare no as bool; "
     "put it in quotes: 'no')"),
    ("title: 2026\ndate: 2026-01-01\n",
     "content/x.md:2: title: expected text; found 2026 (YAML reads a bare 2026 as int; "
     "put it in quotes: '2026')"),
    (HEAD + "tags: [yes, nerves]\n",
     "content/x.md:4: tags[0]: expected text; found yes (YAML reads a bare yes as bool; "
     "put it in quotes: 'yes')"),
    (HEAD + "role: 2026-02-01\n",
     "content/x.md:4: role: expected text; found 2026-02-01 (YAML reads a bare 2026-02-01 "
     "as date; put it in quotes: '2026-02-01')"),
    ("title: T\ndate: yesterday\n",
     "content/x.md:3: date: expected a date like 2026-03-14; found 'yesterday'"),
    ("title: T\ndate: 2026-13-45\n",
     "content/x.md:3: date: expected a date like 2026-03-14; found '2026-13-45'"),
    ("title: T\ndate:\n", "content/x.md:3: date: expected a date like 2026-03-14; found nothing"),
    (HEAD + "applied: 14/03/2026\n",
     "content/x.md:4: applied: expected a date like 2026-03-14; found '14/03/2026'"),
    ("title: T\n", "content/x.md:1: date: is required; add a line 'date: 2026-03-14' to the "
     "front matter, or start the file name with the date (2026-03-14-x.md)"),
    ("title: ''\ndate: 2026-01-01\n", "content/x.md:2: title: expected some text; found ''"),
    (HEAD + "tags: {a: 1}\n",
     "content/x.md:4: tags: expected a list; found 'key: value' lines"),
    (HEAD + "tags:\n", "content/x.md:4: tags: expected a list; found nothing"),
    (HEAD + "feedback: [a]\n",
     "content/x.md:4: feedback: expected 'key: value' lines; found a list"),
    (HEAD + "feedback:\n  asked: maybe\n",
     "content/x.md:5: feedback.asked: expected true or false; found 'maybe'"),
    (HEAD + "support: Sam\n", "content/x.md:4: support: expected a list; found 'Sam'"),
    (HEAD + "support:\n  - took_away: x\n",
     "content/x.md:5: support[0].who: is required; add a line 'who: A friend'"),
    (HEAD + "bridges:\n  thank_you_sent: soon\n",
     "content/x.md:5: bridges.thank_you_sent: expected a date like 2026-03-15, or true/false; "
     "found 'soon'"),
    (HEAD + "actions:\n  - ok\n  - {text: x, done: perhaps}\n",
     "content/x.md:6: actions[1].done: expected true or false; found 'perhaps'"),
    (HEAD + "actions:\n  - {text: x, due: someday}\n",
     "content/x.md:5: actions[0].due: expected a date like 2026-03-14; found 'someday'"),
    (HEAD + "draft: maybe\n", "content/x.md:4: draft: expected true or false; found 'maybe'"),
], ids=["stage", "outcome", "bare-no", "bare-int", "bare-yes-in-list", "bare-date", "bad-date",
        "impossible-date", "empty-date", "applied-format", "missing-date",
        "empty-title", "tags-mapping", "tags-empty", "feedback-list", "feedback-asked",
        "support-text", "support-who", "thank-you", "action-done", "action-due", "draft"])
def test_wrong_values_name_file_line_and_field(front: str, expected: str) -> None:
    assert _errors(front) == [expected]


@pytest.mark.parametrize("written", [
    "2026-03-14", "'2026-03-14'", '"2026-03-14"', "2026-03-14T09:30:00", "2026-03-14 09:30",
    "2026-03-14T23:30:00-05:00", "2026-03-14 00:15:00+09:00", "'2026-03-14T09:30:00Z'",
    "2026-03-14T09:30:00.5Z", "2026-03-14 12:00:00 -0800", "'2026-03-14 12:00:00 +0100'",
    "2026-03-14 23:59 PST", "2026-3-14"])
def test_date_written_as_a_date_or_datetime_quoted_or_not(written: str) -> None:
    entry, problems = _parse(f"title: T\ndate: {written}\napplied: {written}\n")
    assert problems == []
    assert entry is not None
    assert entry.date == entry.applied == dt.date(2026, 3, 14)


def test_configured_stages_replace_the_defaults() -> None:
    config = SiteConfig(stages=("applied", "onsite"))
    assert _errors(HEAD + "stage: final\n", config) == [
        "content/x.md:4: stage: expected one of applied, onsite; found 'final'"]
    entry, problems = _parse(HEAD + "stage: onsite\n", config=config)
    assert problems == [] and entry is not None and entry.stage_index == 1


def test_configured_outcomes_replace_the_defaults() -> None:
    config = SiteConfig(outcomes=("no", "silence"))
    assert _errors(HEAD + "outcome: ghosted\n", config) == [
        "content/x.md:4: outcome: expected one of no, silence; found 'ghosted'"]
    entry, problems = _parse(HEAD + "outcome: silence\n", config=config)
    assert problems == [] and entry is not None and entry.outcome == "silence"


def test_every_problem_in_a_file_is_reported() -> None:
    assert _errors("title: T\ndate: nope\nstage: x\ntgas: []\n") == [
        "content/x.md:5: warning: unknown key 'tgas'; did you mean 'tags'?",
        "content/x.md:3: date: expected a date like 2026-03-14; found 'nope'",
        "content/x.md:4: stage: expected one of applied, screen, assessment, interview, final, "
        "offer; found 'x'",
    ]


def test_unknown_keys_are_warnings_with_the_closest_key_also_nested() -> None:
    source, _ = split_source("content/x.md", "---\ntitle: T\ndate: 2026-01-01\ntgas: [a]\n"
                             "feedback:\n  recieved: Fine\nsupport:\n  - who: Sam\n"
                             "    tookaway: x\nactions:\n  - {txt: y}\nzebra: 1\n---\n")
    assert source is not None
    entry, problems = parse_entry(source, SiteConfig(), NO_LINKS)
    assert [p.format() for p in problems][:4] == [
        "content/x.md:4: warning: unknown key 'tgas'; did you mean 'tags'?",
        "content/x.md:6: warning: unknown key 'recieved'; did you mean 'received'?",
        "content/x.md:9: warning: unknown key 'tookaway'; did you mean 'took_away'?",
        "content/x.md:11: warning: unknown key 'txt'; did you mean 'text'?",
    ]
    # 'zebra' is close to no key: the author's own, kept for templates without a warning
    assert not [p for p in problems if "zebra" in p.message]
    # the action without text is still an error
    assert problems[-1].format() == (
        "content/x.md:11: actions[0].text: is required; add a line "
        "'text: Update resume summary'")
    assert all(p.severity is Severity.WARNING for p in problems[:4])
    assert entry is None


def test_unknown_key_alone_still_gives_an_entry() -> None:
    entry, problems = _parse(HEAD + "tgas: [a]\n")
    assert entry is not None
    assert problems == ["content/x.md:4: warning: unknown key 'tgas'; did you mean 'tags'?"]


def test_tags_differing_in_case_and_spacing_are_one_tag() -> None:
    entry, _ = _parse(HEAD + "tags: [System Design, system-design, '  system   design ']\n")
    assert entry is not None
    assert [(t.slug, t.name) for t in entry.tags] == [("system-design", "System Design")]


def test_slug_field_overrides_title_and_is_never_a_path() -> None:
    for slug, expected in [("../../etc", "etc"), ("/abs/path", "abs-path"), ("..", "entry"),
                           ("Mön Ämne", "mon-amne"), ("a/../../b", "a-b")]:
        entry, _ = _parse(HEAD + f"slug: '{slug}'\n")
        assert entry is not None
        assert entry.slug == expected


@pytest.mark.parametrize(("title", "expected"), [
    ("Senior Data Engineer at Acme", "senior-data-engineer-at-acme"),
    ("../../../etc/passwd", "etc-passwd"), ("/", "entry"), ("..", "entry"),
    ("数据工程师", "shu-ju-gong-cheng-shi"), ("Ingénieur·e données", "ingenieur-e-donnees"),
    ("C:\\Windows\\x", "c-windows-x"), ("🙂", "entry"), ("C++", "c-plus-plus"),
    ("C#", "c-sharp"), ("C", "c"), ("Tag #1", "tag-1")])
def test_make_slug_is_ascii_and_never_a_path(title: str, expected: str) -> None:
    slug = make_slug(title)
    assert slug == expected
    assert slug.isascii() and "/" not in slug and slug not in ("", ".", "..")


def test_long_titles_give_bounded_slugs() -> None:
    assert len(make_slug("word " * 100)) <= 80


def test_relative_link_to_a_missing_file_is_a_warning_with_its_line() -> None:
    entry, problems = _parse(HEAD, body="Intro.\n\nSee [notes](notes.pdf).\n")
    assert entry is not None
    assert problems == [
        "content/x.md:7: warning: links to 'notes.pdf', which is not in content/"]


def test_source_dir() -> None:
    assert source_dir("content/2026/a.md") == "2026"
    assert source_dir("content/a.md") == ""


def test_each_tag_is_slugified_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-slugify is about a tenth of parsing an entry: each tag once, and the title."""
    import generator.slugs

    texts: list[str] = []
    slugify = generator.slugs.slugify

    def counted(text: str, **kwargs: object) -> str:
        texts.append(text)
        return slugify(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.slugs, "slugify", counted)
    entry, problems = _parse(HEAD + "tags: [SQL, sql, Nerves, C++, nerves]\n")
    assert entry is not None and problems == []
    assert [(t.slug, t.name) for t in entry.tags] == [
        ("sql", "SQL"), ("nerves", "Nerves"), ("c-plus-plus", "C++")]
    assert sorted(texts) == sorted(["SQL", "sql", "Nerves", "C plus  plus ", "nerves", "T"])


def test_a_log_slugifies_each_tag_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries share a few dozen tags: reading a log slugifies each spelling once (and each
    title), not each tag of each entry; the tags are the same."""
    root = make_log(tmp_path / "log", {
        f"content/e{n:02}.md": entry(f"Role {n}", f"2025-01-{n + 1:02}",
                                     tags="[SQL, sql, Data Eng, nerves]") for n in range(20)})
    slugged: list[str] = []
    real = entries.make_slug

    def counted(text: str) -> str:
        slugged.append(text)
        return real(text)

    monkeypatch.setattr(entries, "make_slug", counted)
    log = load_log(root)
    assert sorted(set(slugged)) == sorted(slugged)  # each once: 4 spellings, 20 titles
    assert len(slugged) == 24
    assert {tuple((t.slug, t.name) for t in e.tags) for e in log.site.entries} == {
        (("sql", "SQL"), ("data-eng", "Data Eng"), ("nerves", "nerves"))}
