"""What keeps a private build cheap (issue 9 #17: at most 1.3x a public build), pinned so
that it stays so, and so that no saving weakens what it saves on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from test_private import PASSWORD, sample_log

from generator import private
from generator.build import build


def test_each_opaque_name_is_computed_once_per_build(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An HMAC per distinct path, not one per link (a page links ~60 others)."""
    calls: Counter[str] = Counter()
    token = private.opaque_token

    def counted(key: bytes, logical: str) -> str:
        calls[logical] += 1
        return token(key, logical)

    monkeypatch.setattr(private, "opaque_token", counted)
    root = sample_log(tmp_path / "log")
    build(root, private=True, password=PASSWORD)
    assert len(calls) > 20, calls
    assert max(calls.values()) == 1, calls.most_common(3)
    published = {p.relative_to(root / "output").as_posix()
                 for p in (root / "output").rglob("*") if p.is_file()}
    assert len(published) <= len(calls) + 5  # every name comes from one of those HMACs
