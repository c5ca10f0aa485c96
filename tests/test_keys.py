"""The keyfile (init, passwd, rotate), passphrase sources and the strength estimate."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from generator import keys
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


@pytest.mark.parametrize("weak", ["Summer2024!", "P@ssw0rd123", "hunter2", "aaaa aaaa aaaa aaaa",
                                  "abcdefgh", "journal"])
def test_weak_passphrases_are_refused_with_diceware_advice(weak: str,
                                                           tmp_path: Path) -> None:
    with pytest.raises(keys.WeakPassphrase, match="diceware"):
        keys.init_keyfile(tmp_path, weak)
    assert not keys.keyfile_path(tmp_path).exists()


def test_a_weak_passphrase_can_be_allowed_explicitly(tmp_path: Path) -> None:
    keys.init_keyfile(tmp_path, "hunter2", allow_weak=True)
    keys.unlock(tmp_path, "hunter2")


@pytest.mark.parametrize("strong", [STRONG, "correct horse battery staple", "kX9#mQ2!vL7@pR"])
def test_strong_passphrases_pass(strong: str) -> None:
    assert keys.check_strength(strong) >= 50


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
