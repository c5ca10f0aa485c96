"""Did-you-mean suggestions for unknown names (config options, front-matter keys)."""

from __future__ import annotations

from collections.abc import Iterable


def closest_key(key: str, known: Iterable[str]) -> str | None:
    """The known name `key` is most likely a typo of, if any is close."""
    import difflib  # only for a key not known: not on a build's or a check's way

    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_key_message(key: str, known: Iterable[str]) -> str:
    """`unknown key 'tgas'; did you mean 'tags'?` (without the hint when nothing is close)."""
    close = closest_key(key, known)
    hint = f"; did you mean '{close}'?" if close else ""
    return f"unknown key '{key}'{hint}"
