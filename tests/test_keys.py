"""The keyfile (init, passwd, rotate), passphrase sources and the strength estimate (zxcvbn)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import keys
from generator.cli import main
from generator.crypto import WrongPassphrase
from generator.errors import GrowthlogError

STRONG = "cobalt hazel dune tripod plaza"
OTHER = "quiet lantern orbit maple fennel"


def test_init_creates_a_keyfile_that_unlocks(tmp_path: Path) -> None:
    path = keys.init_keyfile(tmp_path, STRONG)
    assert path == tmp_path / ".growthlog" / "site-key.json"
    data = json.loads(path.read_text())
    assert data["v"] == "gl-private-v1" and data["kdf"] == "PBKDF2-HMAC-SHA256"
    assert data["iter"] >= 600_000
    assert STRONG not in path.read_text()
    blob, site_keys = keys.unlock(tmp_path, STRONG)
    assert site_keys.site == blob.site


def test_init_never_overwrites(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    with pytest.raises(GrowthlogError, match="already exists"):
        keys.init_keyfile(tmp_path, STRONG)


def test_init_refuses_low_iterations(tmp_path: Path) -> None:
    with pytest.raises(GrowthlogError, match="at least 600,000"):
        keys.init_keyfile(tmp_path, STRONG, iterations=100_000)


def test_a_keyfile_with_low_iterations_is_refused(tmp_path: Path) -> None:
    path = keys.init_keyfile(tmp_path, STRONG)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "iter": 1000}))
    with pytest.raises(GrowthlogError, match="iter: expected at least 600,000"):
        keys.load_keyfile(tmp_path)


def test_wrong_passphrase(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    with pytest.raises(WrongPassphrase):
        keys.unlock(tmp_path, OTHER)


def test_passwd_rewraps_the_same_site_key(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    _, before = keys.unlock(tmp_path, STRONG)
    keys.change_passphrase(tmp_path, STRONG, OTHER)
    _, after = keys.unlock(tmp_path, OTHER)
    assert after == before
    with pytest.raises(WrongPassphrase):
        keys.unlock(tmp_path, STRONG)


def test_passwd_needs_the_current_passphrase(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    with pytest.raises(WrongPassphrase):
        keys.change_passphrase(tmp_path, OTHER, OTHER)


def test_rotate_makes_a_new_site_key(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    _, before = keys.unlock(tmp_path, STRONG)
    keys.rotate_key(tmp_path, STRONG)
    _, after = keys.unlock(tmp_path, STRONG)
    assert after.site == before.site
    assert after.content != before.content and after.slug != before.slug


WEAK = ["Summer2024!", "P@ssw0rd123", "hunter2", "aaaa aaaa aaaa aaaa", "abcdefgh", "journal",
        # [trust] 10: the old hand-rolled estimate accepted each of these
        "correct horse battery staple", "Password1234567890", "this is my password",
        "the quick brown fox", "1q2w3e4r5t6y7u8i", "abcdefghijklmnop",
        "Correct-Horse-Battery-Staple", "correcthorsebatterystaple1", "may the force be with you"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passphrases_are_refused_with_diceware_advice(weak: str,
                                                           tmp_path: Path) -> None:
    with pytest.raises(keys.WeakPassphrase, match="diceware"):
        keys.init_keyfile(tmp_path, weak)
    assert not keys.keyfile_path(tmp_path).exists()


def test_a_weak_passphrase_can_be_allowed_explicitly(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, "hunter2", allow_weak=True)
    keys.unlock(tmp_path, "hunter2")


@pytest.mark.parametrize("strong", [STRONG, OTHER, "kX9#mQ2!vL7@pR4&zT8w", "x" * 40 + STRONG * 3])
def test_strong_passphrases_pass(strong: str) -> None:
    assert keys.check_strength(strong) >= 50


def _eff_words() -> list[str]:
    """The EFF long list (7,776 words) that the diceware package ships."""
    import diceware

    path = Path(diceware.__file__).parent / "wordlists" / "wordlist_en_eff.txt"
    return [line.split()[-1] for line in path.read_text().splitlines() if line.strip()]


EFF_WORDS = _eff_words()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(EFF_WORDS), min_size=5, max_size=5, unique=True),
       st.sampled_from([" ", "-", ".", ""]))
def test_five_random_diceware_words_always_pass(words: list[str], separator: str) -> None:
    # Distinct words: a roll that repeats one (1 in 800) has less entropy and may be refused.
    keys.check_strength(separator.join(words))


def test_a_weak_passphrase_is_refused_on_the_first_entry(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return "the quick brown fox"

    with pytest.raises(keys.WeakPassphrase, match="too easy to guess"):
        keys.build_passphrase(tmp_path, prompt=prompt)
    assert asked == ["New passphrase: "]  # never asked to type it again
    assert not keys.keyfile_path(tmp_path).exists()


def test_key_init_with_a_keyfile_says_so_before_any_advice_or_prompt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys.init_keyfile(tmp_path, STRONG)
    monkeypatch.setenv("GROWTHLOG_PASSWORD", OTHER)
    result = CliRunner().invoke(main, ["key", "init", str(tmp_path)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "diceware" not in result.output.lower()


def test_key_init_refuses_a_weak_passphrase_from_stdin(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    result = CliRunner().invoke(main, ["key", "init", str(tmp_path), "--password-stdin"],
                                input="Password1234567890\n")
    assert result.exit_code == 1 and "too easy to guess" in result.output
    assert "Traceback" not in result.output
    assert not keys.keyfile_path(tmp_path).exists()
    again = CliRunner().invoke(main, ["key", "init", str(tmp_path), "--password-stdin",
                                      "--weak-ok"], input="Password1234567890\n")
    assert again.exit_code == 0, again.output


def test_passphrase_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROWTHLOG_PASSWORD", STRONG)
    assert keys.read_passphrase(stdin=io.StringIO("ignored\n")) == STRONG


def test_passphrase_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    stdin = io.StringIO(f"{STRONG}\n{OTHER}\n")
    assert keys.read_passphrase(stdin=stdin) == STRONG
    assert keys.read_passphrase(stdin=stdin) == OTHER


def test_prompt_asks_twice_on_first_use(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return STRONG

    password, created = keys.build_passphrase(tmp_path, prompt=prompt)
    assert password == STRONG and created is not None and len(asked) == 2
    asked.clear()
    assert keys.build_passphrase(tmp_path, prompt=prompt) == (STRONG, None)
    assert len(asked) == 1


def test_prompts_that_differ_change_nothing(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    answers = iter([STRONG, OTHER])
    with pytest.raises(GrowthlogError, match="differ"):
        keys.build_passphrase(tmp_path, prompt=lambda _: next(answers))
    assert not keys.keyfile_path(tmp_path).exists()


def test_no_source_and_no_terminal_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROWTHLOG_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(GrowthlogError, match="GROWTHLOG_PASSWORD"):
        keys.read_passphrase()
