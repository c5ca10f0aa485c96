"""Readers in the keyfile (`growthlog reader add/list/passwd/remove`): one slot per reader,
never a passphrase; the author's key operations keep every reader's view key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator import keys, readers
from generator.cli import main
from generator.crypto import WrongPassphrase, open_slot, unwrap_site_key

from conftest import make_log

AUTHOR = "cobalt hazel dune tripod plaza"
SAM = "quiet lantern orbit maple fennel"
KIM = "velvet canyon pickle raven sprout"


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    monkeypatch.delenv("GROWTHLOG_NEW_PASSWORD", raising=False)
    (tmp_path / "growthlog.toml").write_text('title = "Log"\n', "utf-8")
    keys.init_keyfile(tmp_path, AUTHOR)
    return tmp_path


def cli(*args: str, stdin: str = "") -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def keyfile(root: Path) -> str:
    return (root / ".growthlog" / "site-key.json").read_text()


def view_key(root: Path, name: str) -> bytes:
    blob = keys.load_keyfile(root)
    reader = readers.find_reader(keys.load_readers(root), name)
    return reader.view_key(unwrap_site_key(blob, AUTHOR), blob.site)


def opens(root: Path, name: str, passphrase: str) -> bytes | None:
    blob = keys.load_keyfile(root)
    reader = readers.find_reader(keys.load_readers(root), name)
    return open_slot(reader.slot, blob.site, passphrase)


def test_reader_add_stores_a_slot_that_the_readers_passphrase_opens(log: Path) -> None:
    result = cli("reader", "add", "sam", str(log), "--password-stdin", stdin=f"{AUTHOR}\n{SAM}\n")
    assert result.exit_code == 0, result.output
    assert "Added reader sam" in result.output
    text = keyfile(log)
    assert SAM not in text and AUTHOR not in text
    assert opens(log, "sam", SAM) == view_key(log, "sam")
    assert opens(log, "sam", AUTHOR) is None
    # The slot reuses the author's salt: the unlock page derives one key per typed passphrase.
    data = json.loads(text)
    assert data["readers"]["sam"]["slot"]["salt"] == data["salt"]
    assert "sam" not in json.dumps(data["readers"]["sam"])
    assert cli("reader", "list", str(log)).output.splitlines() == ["sam"]


def test_each_reader_gets_their_own_random_view_key(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    readers.add_reader(log, "kim", AUTHOR, KIM)
    assert view_key(log, "sam") != view_key(log, "kim")
    assert opens(log, "kim", SAM) is None
    assert cli("reader", "list", str(log)).output.splitlines() == ["kim", "sam"]


@pytest.mark.parametrize("passphrase, message", [
    (AUTHOR, "your own passphrase"),
    (SAM, "already opens sam's view"),
])
def test_a_passphrase_opens_one_slot_only(log: Path, passphrase: str, message: str) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    before = keyfile(log)
    result = cli("reader", "add", "kim", str(log), "--password-stdin",
                 stdin=f"{AUTHOR}\n{passphrase}\n")
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
    assert keyfile(log) == before


def test_a_weak_reader_passphrase_is_refused_like_the_authors(log: Path) -> None:
    before = keyfile(log)
    result = cli("reader", "add", "sam", str(log), "--password-stdin",
                 stdin=f"{AUTHOR}\ncorrect horse battery staple\n")
    assert result.exit_code == 1 and "too easy to guess" in result.output
    assert keyfile(log) == before
    result = cli("reader", "add", "sam", str(log), "--password-stdin", "--weak-ok",
                 stdin=f"{AUTHOR}\nhunter2\n")
    assert result.exit_code == 0, result.output
    assert opens(log, "sam", "hunter2") is not None


def test_a_wrong_author_passphrase_changes_nothing(log: Path) -> None:
    before = keyfile(log)
    result = cli("reader", "add", "sam", str(log), "--password-stdin", stdin=f"{KIM}\n{SAM}\n")
    assert result.exit_code == 1 and "does not open" in result.output
    assert keyfile(log) == before


def test_a_generated_passphrase_is_printed_once_and_opens_the_slot(log: Path) -> None:
    result = cli("reader", "add", "sam", str(log), "--password-stdin", "--generate",
                 stdin=f"{AUTHOR}\n")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Passphrase for sam"))
    phrase = line.rsplit(": ", 1)[1]
    words = phrase.split(" ")
    assert len(words) == 5 and len(set(words)) == 5
    assert set(words) <= set(readers.wordlist())
    assert phrase not in keyfile(log)
    assert opens(log, "sam", phrase) is not None


def test_generated_passphrases_pass_the_strength_rule() -> None:
    assert len(readers.wordlist()) == 7776
    phrases = {readers.generate_passphrase() for _ in range(20)}
    assert len(phrases) == 20
    for phrase in phrases:
        assert keys.check_strength(phrase) >= keys.MIN_BITS


@pytest.mark.parametrize("name", ["Sam", "", "sam smith", "1sam", "s" * 41, "sam/../x"])
def test_a_reader_name_is_a_plain_word(log: Path, name: str) -> None:
    result = cli("reader", "add", name, str(log), "--password-stdin", stdin=f"{AUTHOR}\n{SAM}\n")
    assert result.exit_code == 1 and "reader name: expected" in result.output
    assert "readers" not in json.loads(keyfile(log))


def test_adding_a_reader_twice_is_refused_before_any_prompt(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    result = cli("reader", "add", "sam", str(log))  # no stdin, no terminal: would fail later
    assert result.exit_code == 1 and "sam is already a reader" in result.output


def test_reader_passwd_rewraps_the_same_view_key(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    readers.add_reader(log, "kim", AUTHOR, KIM)
    before = view_key(log, "sam")
    new = "tundra wafer bonsai lagoon ember"
    result = cli("reader", "passwd", "sam", str(log), "--password-stdin",
                 stdin=f"{AUTHOR}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert "remembers their key still opens" in result.output
    assert opens(log, "sam", SAM) is None
    assert opens(log, "sam", new) == before == view_key(log, "sam")
    assert opens(log, "kim", KIM) is not None


def test_reader_remove_drops_the_slot_and_says_what_cannot_be_taken_back(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    readers.add_reader(log, "kim", AUTHOR, KIM)
    result = cli("reader", "remove", "sam", str(log))
    assert result.exit_code == 0, result.output
    assert "cannot be taken back" in result.output
    assert [r.name for r in keys.load_readers(log)] == ["kim"]
    result = cli("reader", "remove", "sam", str(log))
    assert result.exit_code == 1 and "no reader named 'sam' (readers: kim)" in result.output
    cli("reader", "remove", "kim", str(log))
    assert "No readers yet" in cli("reader", "list", str(log)).output
    assert "readers" not in json.loads(keyfile(log))


def test_key_passwd_and_rotate_keep_every_readers_view_key(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    before = view_key(log, "sam")
    new_author = "tundra wafer bonsai lagoon ember"
    keys.change_passphrase(log, AUTHOR, new_author)
    keys.change_passphrase(log, new_author, AUTHOR)
    assert view_key(log, "sam") == before == opens(log, "sam", SAM)
    _, site_before = keys.unlock(log, AUTHOR)
    keys.rotate_key(log, AUTHOR)
    assert keys.unlock(log, AUTHOR)[1] != site_before
    assert view_key(log, "sam") == before == opens(log, "sam", SAM)


def test_a_malformed_readers_section_names_the_reader_and_field(log: Path) -> None:
    readers.add_reader(log, "sam", AUTHOR, SAM)
    path = log / ".growthlog" / "site-key.json"
    data = json.loads(path.read_text())
    del data["readers"]["sam"]["slot"]["wiv"]
    path.write_text(json.dumps(data))
    result = cli("reader", "list", str(log))
    assert result.exit_code == 1
    assert "site-key.json: readers: sam: missing or malformed field: 'wiv'" in result.output
    with pytest.raises(WrongPassphrase):
        keys.unlock(log, SAM)


@pytest.mark.parametrize("args", [["list"], ["add", "sam"], ["passwd", "sam"],
                                  ["remove", "sam"], ["link", "sam", "--url", "https://x.org/"]],
                         ids=lambda args: args[0])
def test_reader_commands_outside_a_log_say_so_and_how_to_start_one(
        tmp_path: Path, args: list[str]) -> None:
    empty = tmp_path / "not-a-log"
    empty.mkdir()
    name, *rest = args  # ROOT comes after NAME, options after ROOT
    result = cli("reader", name, *rest[:1], str(empty), *rest[1:],
                 stdin=f"{AUTHOR}\n{SAM}\n{SAM}\n")
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"error: {empty.as_posix()} is not a growthlog log (it "
                                    "has no growthlog.toml and no content/ folder). Start one "
                                    "with `growthlog init DIR`"), result.output
    assert "site-key.json" not in result.output
    assert list(empty.iterdir()) == []


def test_check_warns_of_share_names_that_are_no_reader_with_line_and_did_you_mean(
        log: Path) -> None:
    make_log(log, {
        "content/2024-03-01-acme.md": "---\ntitle: Acme\ndate: 2024-03-01\n"
                                      "share: [sam, samm]\n---\nNotes.\n",
        "content/2024-03-02-beta.md": "---\ntitle: Beta\ndate: 2024-03-02\nshare: true\n---\n",
    }, 'title = "Log"\n\n[readers.kim]\ntags = ["interview"]\n')
    assert cli("reader", "add", "sam", str(log), "--password-stdin",
               stdin=f"{AUTHOR}\n{SAM}\n{SAM}\n").exit_code == 0
    result = cli("check", str(log))
    assert result.exit_code == 0, result.output
    assert ("content/2024-03-01-acme.md:4: warning: share: samm is no reader of "
            ".growthlog/site-key.json; did you mean 'sam'? (readers: sam)") in result.output
    assert ("growthlog.toml: warning: readers.kim: kim is no reader of .growthlog/"
            "site-key.json; add them with `growthlog reader add kim` (readers: sam)"
            ) in result.output
    assert "beta" not in result.output  # `share: true` (a theme's share buttons) names no one
    assert "No problems found (2 warnings)." in result.output
    assert cli("check", "--strict", str(log)).exit_code == 1
