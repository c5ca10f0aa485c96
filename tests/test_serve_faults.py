"""Issue 10 #6 and #10: faults in serve show the file at fault and keep the cache; smaller
findings (stages sharing a folder, a `~:` key's line)."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

import pytest

from generator.build import build, check
from generator.devserver import LiveSite, start_server, stop_server
from generator.errors import ProblemsFound
from generator.serve import Rebuilder
from generator.watch import ChangeSet

from conftest import entry, make_log

ENTRIES = {f"content/e{i:02d}.md": entry(f"Entry {i}", f"2026-01-{i + 1:02d}",
                                           body=f"Body {i}.") for i in range(12)}


def saved(root: Path, *names: str) -> ChangeSet:
    return ChangeSet(content=frozenset((root / n).resolve() for n in names))


def test_a_bad_yaml_tag_in_serve_names_the_file_and_keeps_the_cache(tmp_path: Path) -> None:
    """`stage: !!bool maybe` showed "internal error: KeyError('maybe')" and threw the build
    state away, so the next save rendered every page again."""
    root = make_log(tmp_path / "log", ENTRIES)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    (root / "content/e03.md").write_text(entry("Entry 3", "2026-01-04", stage="!!bool maybe"))
    broken = rebuilder.rebuild(saved(root, "content/e03.md"))
    assert broken.errors == ("content/e03.md:4: stage: marked !!bool, so expected true or "
                             "false; found 'maybe' (remove the !!bool to keep it as text)",)
    (root / "content/e03.md").write_text(entry("Entry 3", "2026-01-04", body="Fixed."))
    fixed = rebuilder.rebuild(saved(root, "content/e03.md"))
    assert fixed.ok and fixed.report is not None
    assert fixed.report.rendered < len(ENTRIES), fixed.report.rendered


def test_an_editor_saving_through_x_md_new_never_makes_a_rebuild_fail_or_start_over(
        tmp_path: Path) -> None:
    """An editor writes x.md.new, then renames it onto x.md. A rebuild that listed
    content/ in between read x.md.new as an attachment, failed to read it, and reset the
    cache: the next save re-rendered every page."""
    root = make_log(tmp_path / "log", ENTRIES)
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    temp = root / "content/e05.md.new"
    temp.write_text(entry("Entry 5 edited", "2026-01-06"))
    during = rebuilder.rebuild(saved(root, "content/e05.md.new"))
    assert during.ok and during.report is not None and not during.problems
    assert during.report.rendered == 0  # x.md.new is no content at all
    os.replace(temp, root / "content/e05.md")
    after = rebuilder.rebuild(saved(root, "content/e05.md.new", "content/e05.md"))
    assert after.ok and after.report is not None
    assert after.report.rendered < len(ENTRIES), after.report.rendered
    assert "Entry 5 edited" in (tmp_path / "preview/entries/entry-5-edited/index.html").read_text()


def test_an_attachment_gone_between_listing_and_reading_is_no_internal_error(
        tmp_path: Path) -> None:
    """Deleted after content/ was listed: it showed "internal error" and reset the cache."""
    root = make_log(tmp_path / "log", {**ENTRIES, "content/pic.png": b"\x89PNG"})
    rebuilder = Rebuilder(root, tmp_path / "preview")
    assert rebuilder.rebuild().ok
    cache = rebuilder.cache
    (root / "content/pic.png").unlink()
    (root / "content/e01.md").write_text(entry("Entry 1 again", "2026-01-02"))
    # The watcher reports the entry's save first, the delete in its next batch.
    result = rebuilder.rebuild(saved(root, "content/e01.md"))
    assert result.ok and result.report is not None, result.errors
    assert "media/pic.png" in result.report.removed
    assert rebuilder.cache is cache


def test_a_300_character_url_segment_is_a_404_not_a_dropped_connection(tmp_path: Path) -> None:
    (tmp_path / "preview").mkdir()
    (tmp_path / "preview/404.html").write_text("<html><body>Lost</body></html>")
    server = start_server(LiveSite(tmp_path / "preview"), port=0)
    try:
        for path in ("/" + "a" * 300, "/entries/" + "b" * 300 + "/", "/" + "c/" * 3000):
            connection = http.client.HTTPConnection(*server.server_address[:2], timeout=5)
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 404 and b"Lost" in response.read()
            connection.close()
    finally:
        stop_server(server)


@pytest.mark.parametrize("stages", ['["a", "a/"]', '["Offer", "offer"]', '["a", "/a"]'])
def test_stages_that_would_share_a_page_folder_are_refused(stages: str,
                                                           tmp_path: Path) -> None:
    """`stages = ["a", "a/"]` made a rebuild delete a page it still needed."""
    root = make_log(tmp_path / "log", {"content/x.md": entry(stage="a")}, f"stages = {stages}\n")
    for run in (check, build):
        with pytest.raises(ProblemsFound) as info:
            run(root)
        assert [p.format()[:67] for p in info.value.problems] == [
            "growthlog.toml:1: stages: each stage needs a page folder of its own"]
    assert not (root / "output").exists()


def test_an_unknown_key_read_as_null_or_true_is_named_as_written_with_its_line(
        tmp_path: Path) -> None:
    """Issue 10 #10: the warning for a `~:` key named it 'None' (and `yes:` 'True')."""
    root = make_log(tmp_path / "log", {"content/x.md": entry(
        feedback="\n  ~: nothing\n  yes: 1\n  asked: true\n  0x10: a\n  null: again")})
    assert sorted(p.format() for p in check(root)) == [
        "content/x.md:6: warning: unknown key 'yes'",
        "content/x.md:8: warning: unknown key '0x10'",
        "content/x.md:9: warning: feedback.null: appears twice (as '~' on line 5); the later "
        "value is used",
        "content/x.md:9: warning: unknown key 'null'"]
    (root / "content" / "x.md").write_text(entry(feedback="\n  ~: nothing\n  asked: true"))
    assert [p.format() for p in check(root)] == ["content/x.md:5: warning: unknown key '~'"]


def test_a_year_mistyped_as_0024_is_a_warning_with_its_line(tmp_path: Path) -> None:
    """Issue 10 #8: `date: 0024-05-01` passed silently and made a 2.9 MB progress page."""
    root = make_log(tmp_path / "log", {"content/x.md": entry(
        date="0024-05-01", actions="\n  - text: a\n    due: 9999-01-01")})
    lines = [p.format() for p in check(root)]
    assert ("content/x.md:3: warning: date: the year 24 is far from now; is it a typo? "
            "(charts span every month from the oldest date to the newest)") in lines, lines
    assert any(line.startswith("content/x.md:6: warning: actions[0].due: the year 9999")
               for line in lines), lines
