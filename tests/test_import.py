"""`growthlog import`: Jekyll, Hugo, Obsidian and a tracker CSV become new entries that
pass `check` and build, the author's text byte for byte, nothing overwritten, the source
untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.build import build
from generator.cli import main
from generator.sources import split_source

from conftest import entry, make_log, read_tree

SOURCES = Path(__file__).parent / "fixtures" / "sources"
CSV = SOURCES / "tracker" / "applications.csv"
KINDS = {"jekyll": SOURCES / "jekyll", "hugo": SOURCES / "hugo",
         "obsidian": SOURCES / "obsidian", "csv": CSV}


def _hashes(path: Path) -> dict[str, str]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {p.as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _import(root: Path, source: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["import", str(source), str(root), *args])


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return make_log(tmp_path / "log", {}, 'title = "Log"\n')


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_import_passes_check_and_builds_and_leaves_the_source_untouched(
        tmp_path: Path, log: Path, kind: str) -> None:
    source = tmp_path / "source" / KINDS[kind].name
    source.parent.mkdir()
    (shutil.copy if kind == "csv" else shutil.copytree)(KINDS[kind], source)
    before = _hashes(source)
    result = _import(log, source, "--from", kind)
    assert result.exit_code == 0, result.output
    assert _hashes(source) == before
    check = CliRunner().invoke(main, ["check", str(log)])
    assert check.exit_code == 0, check.output
    warnings = [line for line in check.output.splitlines() if "warning:" in line]
    # only what the sources themselves hold: Jekyll's Liquid that growthlog does not run,
    # the vault's one link to a note that was never written
    assert len(warnings) == {"jekyll": 3, "hugo": 0, "obsidian": 1, "csv": 0}[kind], warnings
    assert all("is Liquid" in w or "Gamma take-home" in w for w in warnings)
    report = build(log)
    assert report.entries == {"jekyll": 3, "hugo": 3, "obsidian": 2, "csv": 4}[kind]


@pytest.mark.parametrize("kind", ["jekyll", "hugo", "obsidian"])
def test_the_authors_text_is_kept_byte_for_byte(log: Path, kind: str) -> None:
    assert _import(log, KINDS[kind], "--from", kind).exit_code == 0
    sources = {p.name: p for p in KINDS[kind].rglob("*") if p.suffix in (".md", ".markdown")}
    written = {p.name: p for p in (log / "content").rglob("*") if p.suffix in (".md",
                                                                             ".markdown")}
    assert set(written) == set(sources)
    for name, path in sources.items():
        original, _ = split_source(name, path.read_text(encoding="utf-8"))
        imported, problems = split_source(name, written[name].read_text(encoding="utf-8"))
        assert original is not None and imported is not None and problems == []
        assert imported.body.encode() == original.body.encode()
        assert imported.syntax == "yaml"


def test_jekyll_keys_are_read_into_growthlogs_and_the_report_says_so(log: Path) -> None:
    result = _import(log, KINDS["jekyll"])  # told from its _posts/ folder
    assert result.exit_code == 0, result.output
    assert ("wrote content/2014-06-04-screen-with-beta.markdown (from "
            "jekyll/_posts/2014-06-04-screen-with-beta.markdown)\n"
            "    categories read as tags\n"
            "    date from the file name\n"
            "    kept as written, for templates: layout, comments\n") in result.output
    assert "Imported 4 entries and 1 attachment from jekyll." in result.output
    assert "copied content/assets/board.png" in result.output
    assert (log / "content/assets/board.png").read_bytes() == (
        SOURCES / "jekyll/assets/board.png").read_bytes()
    text = (log / "content/2014-06-04-screen-with-beta.markdown").read_text("utf-8")
    assert text.startswith(
        "---\ntitle: Phone screen with Beta\ndate: 2014-06-04\nlayout: post\n"
        "description: Twenty minutes, friendly, and a no two days later.\n"
        "permalink: /news/2014/beta-screen/\ncomments: true\ntags:\n- interview\n"
        "- screening\n---\n")
    draft = (log / "content/2016-04-01-unsent-draft.markdown").read_text("utf-8")
    assert "draft: true\n" in draft and "published:" not in draft


def test_a_dry_run_shows_the_plan_and_writes_nothing(log: Path) -> None:
    before = read_tree(log)
    result = _import(log, KINDS["obsidian"], "--from", "obsidian", "--dry-run")
    assert result.exit_code == 0, result.output
    assert read_tree(log) == before
    assert ("would write content/Jobs/2024-03-10 Acme onsite.md (from obsidian/Jobs/"
            "2024-03-10 Acme onsite.md)") in result.output
    assert "would copy content/attachments/whiteboard.png" in result.output
    assert ("Dry run: would import 2 entries and 1 attachment from obsidian; nothing was "
            "written.") in result.output


def test_a_second_import_refuses_to_overwrite_and_writes_nothing(log: Path) -> None:
    assert _import(log, CSV).exit_code == 0
    edited = log / "content/2024-03-14-acme-data-engineer.md"
    edited.write_text(edited.read_text("utf-8") + "My own words, added later.\n", "utf-8")
    before = read_tree(log)
    again = _import(log, CSV)
    assert again.exit_code == 1
    assert read_tree(log) == before
    assert ("applications.csv:2: content/2024-03-14-acme-data-engineer.md already exists; "
            "it is not overwritten (move or rename it to import again)") in again.output
    assert "4 problems to fix; nothing was imported." in again.output


def test_an_existing_file_stops_the_whole_import(log: Path) -> None:
    make_log(log, {"content/Jobs/Beta screen.md": entry()})
    result = _import(log, KINDS["obsidian"], "--from", "obsidian")
    assert result.exit_code == 1
    assert not (log / "content/Jobs/2024-03-10 Acme onsite.md").exists()
    assert not (log / "content/attachments").exists()
    assert ("obsidian/Jobs/Beta screen.md: content/Jobs/Beta screen.md already exists"
            in result.output)


def test_embedded_attachments_are_copied_where_the_links_find_them(log: Path) -> None:
    assert _import(log, KINDS["obsidian"], "--from", "obsidian").exit_code == 0
    copied = log / "content/attachments/whiteboard.png"
    assert copied.read_bytes() == (SOURCES / "obsidian/attachments/whiteboard.png").read_bytes()
    build(log)
    page = (log / "output/entries/acme-onsite/index.html").read_text("utf-8")
    assert '<img src="/media/attachments/whiteboard.png" alt="whiteboard.png"' in page


def test_tracker_columns_are_mapped_by_name_and_kept_otherwise(log: Path) -> None:
    result = _import(log, CSV)
    assert result.exit_code == 0, result.output
    assert ("columns read: 'Company' as company, 'Role' as role, 'Date Applied' as applied, "
            "'Stage' as stage, 'Outcome' as outcome, 'Response Date' as date, 'Notes' as the "
            "body\ncolumns kept as written, for templates: 'Contact' as contact, "
            "'Salary Range' as salary_range, 'Job Link' as job_link\n") in result.output
    assert ("wrote content/2024-02-20-beta-inc-analytics-engineer.md (from applications.csv, "
            "line 5)\n    date from 'Date Applied' (no date of the answer)\n") in result.output
    acme = (log / "content/2024-03-14-acme-data-engineer.md").read_text("utf-8")
    assert acme == (
        "---\ntitle: Data Engineer at Acme\ndate: 2024-03-14\ncompany: Acme\n"
        "role: Data Engineer\napplied: 2024-02-12\nstage: final\noutcome: rejected\n"
        "contact: Dana Lee (recruiter)\nsalary_range: $120,000 - $140,000\n"
        "job_link: https://jobs.example/acme/123\n---\n"
        "Four rounds. The system design one went sideways.\n\n"
        "Next time: ask about scale first, then draw.\n")
    beta = (log / "content/2024-02-20-beta-inc-analytics-engineer.md").read_text("utf-8")
    assert "company: Beta, Inc.\n" in beta and "stage: screen\n" in beta
    assert beta.endswith('---\nRecruiter said "we\'ll be in touch", then nothing.\n')
    assert "contact" not in beta  # an empty cell writes no key
    gamma = (log / "content/2024-03-18-gamma-senior-data-engineer.md").read_text("utf-8")
    assert "applied: 2024-03-01\n" in gamma and "stage: assessment\n" in gamma


def test_map_options_and_a_map_file_rename_columns_and_keys(tmp_path: Path, log: Path) -> None:
    mapping = tmp_path / "map.txt"
    mapping.write_text("# tracker → growthlog\nJob Link = link  # the posting\n", "utf-8")
    result = _import(log, CSV, "--map", "Salary Range=salary", "--map-file", str(mapping))
    assert result.exit_code == 0, result.output
    acme = (log / "content/2024-03-14-acme-data-engineer.md").read_text("utf-8")
    assert "salary: $120,000 - $140,000\nlink: https://jobs.example/acme/123\n" in acme
    hugo = _import(log, KINDS["hugo"], "--from", "hugo", "--map", "lastmod=updated_on")
    assert hugo.exit_code == 0, hugo.output
    assert "lastmod read as updated_on (--map)" in hugo.output
    gamma = (log / "content/posts/gamma-take-home.md").read_text("utf-8")
    assert "updated_on: 2024-05-22\n" in gamma and "lastmod" not in gamma
    bad = _import(log, CSV, "--map", "Salary Range")
    assert bad.exit_code == 2
    assert "expected THEIRS=OURS, e.g. 'Job Link=link'; found 'Salary Range'" in bad.output


def test_tracker_errors_name_the_file_line_and_column(tmp_path: Path, log: Path) -> None:
    bad = tmp_path / "jobs.csv"
    bad.write_text(
        "Company,Position,Applied On,Status,Stage,Notes\n"
        "Acme,Engineer,2024-13-01,rejected,onsite,\"Line one\nline two\"\n"
        "Beta,Analyst,03/04/2024,lost,screen,\n"
        ",,03/05/2024,,,\n"
        "Gamma,Analyst,,,,No dates at all\n"
        "Delta,Analyst,3 Mar 2024,ghosted,Coffee chat,\n", encoding="utf-8")
    result = _import(log, bad)
    assert result.exit_code == 1
    assert read_tree(log) == {"growthlog.toml": b'title = "Log"\n'}
    assert [line for line in result.output.splitlines() if line.startswith("jobs.csv")] == [
        "jobs.csv:2: Applied On: expected a date like 2026-03-14, 03/14/2026 or 14 Mar 2026; "
        "found '2024-13-01'",
        "jobs.csv:4: Status: expected one of rejected, ghosted, withdrew, closed; found 'lost' "
        "(or add it to outcomes in growthlog.toml)",
        "jobs.csv:5: the row has neither a company nor a role, so it has no title",
        "jobs.csv:6: the row has no date (neither the answer's nor the application's)",
        "jobs.csv:7: Stage: expected one of applied, screen, assessment, interview, final, "
        "offer; found 'Coffee chat' (or add it to stages in growthlog.toml)"]


def test_note_errors_name_the_source_file_and_line(tmp_path: Path, log: Path) -> None:
    vault = make_log(tmp_path / "vault", {
        "Jobs/acme.md": "---\ntitle: Acme\ndate: soon\n---\nBody.\n",
        "Jobs/2024-01-02 beta.md": "---\ntitle: [unclosed\n---\n",
        "Jobs/2024-01-03 gamma.md": "---\nstage: onsite\nlesons: [x]\n---\nBody.\n",
    })
    result = _import(log, vault, "--from", "obsidian")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.startswith("vault/")] == [
        "vault/Jobs/2024-01-02 beta.md:2: front matter: the list opened on line 2 is never "
        "closed with ]",
        "vault/Jobs/2024-01-03 gamma.md:2: stage: expected one of applied, screen, "
        "assessment, interview, final, offer; found 'onsite'",
        "vault/Jobs/2024-01-03 gamma.md:3: warning: unknown key 'lesons'; did you mean "
        "'lessons'?",
        "vault/Jobs/acme.md:3: date: expected a date like 2026-03-14; found 'soon'"]


def test_two_rows_with_the_same_name_get_a_suffix_that_is_stated(
        tmp_path: Path, log: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("Company,Role,Date\nAcme,Engineer,2024-03-01\nAcme,Engineer,2024-03-01\n",
                     encoding="utf-8")
    result = _import(log, twice)
    assert result.exit_code == 0, result.output
    assert ("wrote content/2024-03-01-acme-engineer-2.md (from twice.csv, line 3)\n"
            "    named 2024-03-01-acme-engineer-2.md: another row has the same date and "
            "title\n") in result.output
    assert build(log).entries == 2


def test_a_source_that_cannot_be_told_apart_asks_for_from(tmp_path: Path, log: Path) -> None:
    folder = make_log(tmp_path / "notes", {"a.md": "Hi.\n"})
    result = _import(log, folder)
    assert result.exit_code == 2
    assert "cannot tell what" in result.output and "--from jekyll|hugo|obsidian|csv" in \
        result.output


def test_jekyll_drafts_become_draft_entries_dated_from_the_file(
        tmp_path: Path, log: Path) -> None:
    site = make_log(tmp_path / "blog", {
        "_posts/2024-01-05-acme-onsite.md": "---\ntitle: Acme onsite\n---\nFour rounds.\n",
        # Jekyll drafts carry no date in their name; Jekyll dates them by their last change
        "_drafts/beta-follow-up.md": "---\nlayout: post\ntitle: Beta follow-up\n---\n"
                                     "Not sent yet.\n",
        "_drafts/gamma-notes.markdown": "# Gamma, what I would say\n\nSomething calm.\n",
        "_drafts/delta.md": "---\ntitle: Delta\ndate: 2023-12-01\n---\nDated already.\n",
    })
    noon = dt.datetime(2023, 11, 20, 12, tzinfo=dt.UTC).timestamp()
    for name in ("beta-follow-up.md", "gamma-notes.markdown", "delta.md"):
        os.utime(site / "_drafts" / name, (noon, noon))
    result = _import(log, site)  # told from its _posts/ folder
    assert result.exit_code == 0, result.output
    assert ("wrote content/beta-follow-up.md (from blog/_drafts/beta-follow-up.md)\n"
            "    date from the file's last change (a Jekyll draft)\n"
            "    a draft (it was in _drafts/)\n"
            "    kept as written, for templates: layout\n") in result.output
    assert "Imported 4 entries and 0 attachments from blog." in result.output
    beta = (log / "content/beta-follow-up.md").read_text("utf-8")
    assert beta.startswith("---\ntitle: Beta follow-up\ndate: 2023-11-20\nlayout: post\n"
                           "draft: true\n---\n")
    gamma = (log / "content/gamma-notes.markdown").read_text("utf-8")
    assert gamma.startswith("---\ndate: 2023-11-20\ndraft: true\n---\n# Gamma, what I would")
    delta = (log / "content/delta.md").read_text("utf-8")
    assert "date: 2023-12-01\n" in delta and "draft: true\n" in delta
    check = CliRunner().invoke(main, ["check", str(log)])
    assert check.exit_code == 0 and "warning" not in check.output, check.output
    report = build(log)
    assert report.entries == 1  # the post; drafts stay out of a public build
    assert sorted(p.name for p in (log / "output/entries").iterdir()) == ["acme-onsite"]


def test_a_draft_and_a_post_of_the_same_name_are_both_kept(tmp_path: Path, log: Path) -> None:
    # A post published from its draft, the draft left behind: both land in content/.
    site = make_log(tmp_path / "blog", {
        "_posts/2024-01-05-acme.md": "---\ntitle: Acme\n---\nPublished.\n",
        "_drafts/2024-01-05-acme.md": "---\ntitle: Acme\n---\nThe first go.\n",
    })
    result = _import(log, site)
    assert result.exit_code == 0, result.output
    assert ("wrote content/2024-01-05-acme-draft.md (from blog/_drafts/2024-01-05-acme.md)\n"
            "    date from the file name\n"
            "    a draft (it was in _drafts/)\n"
            "    named 2024-01-05-acme-draft.md: a post has its name\n") in result.output
    assert "Published." in (log / "content/2024-01-05-acme.md").read_text("utf-8")
    draft = (log / "content/2024-01-05-acme-draft.md").read_text("utf-8")
    assert "The first go." in draft and "draft: true\n" in draft
    assert CliRunner().invoke(main, ["check", str(log)]).exit_code == 0


def test_hugo_static_files_are_carried_over_and_their_links_keep_working(
        tmp_path: Path, log: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    site = make_log(tmp_path / "site", {
        "hugo.toml": 'title = "Notes"\n',
        "content/posts/acme-offer.md": (
            '+++\ntitle = "Acme offer"\ndate = 2024-03-02T09:00:00Z\n+++\n'
            "The board: ![board](/images/board.png)\n\n"
            "[The letter](/files/acme%20offer.pdf) and [the notes](notes.txt).\n"),
        "content/posts/notes.txt": "Ask about the start date.\n",
        "static/images/board.png": png,
        "static/files/acme offer.pdf": b"%PDF-1.4\n",
        "static/images/unused.png": png,
    })
    result = _import(log, site)  # told from its hugo.toml
    assert result.exit_code == 0, result.output
    assert "Imported 1 entry and 3 attachments from site." in result.output
    assert (log / "content/images/board.png").read_bytes() == png
    assert (log / "content/files/acme offer.pdf").read_bytes() == b"%PDF-1.4\n"
    assert (log / "content/posts/notes.txt").is_file()
    assert not (log / "content/images/unused.png").exists()  # only what a note links to
    check = CliRunner().invoke(main, ["check", str(log)])
    assert check.exit_code == 0 and "warning" not in check.output, check.output
    build(log)
    page = (log / "output/entries/acme-offer/index.html").read_text("utf-8")
    assert '<img src="/media/images/board.png" alt="board"' in page
    assert '<a href="/media/files/acme%20offer.pdf">The letter</a>' in page
    assert '<a href="/media/posts/notes.txt">the notes</a>' in page
    assert (log / "output/media/images/board.png").read_bytes() == png
