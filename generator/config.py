"""growthlog.toml → SiteConfig: every option declared once with its default.

All problems in the file are reported at once; unknown options are warnings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from generator.errors import Problem, Severity
from generator.suggest import unknown_key_message

CONFIG_NAME = "growthlog.toml"
DEFAULT_STAGES = ("applied", "screen", "assessment", "interview", "final", "offer")
DEFAULT_OUTCOMES = ("rejected", "ghosted", "withdrew", "closed")


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """Options of one log. Each attribute is one key of growthlog.toml."""

    title: str = "My growth log"
    """Shown in the header and page titles."""
    author: str = ""
    """Your name, shown in the footer (optional)."""
    base_url: str = "/"
    """Path the site is served under, e.g. '/my-log/' for a GitHub project page."""
    theme: str = "default"
    """Theme name: themes/<name> in the log, else a theme shipped with growthlog."""
    stages: tuple[str, ...] = DEFAULT_STAGES
    """How far an application can get, in order."""
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    """How an application can end."""
    unsafe_html: bool = False
    """Let raw HTML in entries through (escaped by default)."""
    recent: int = 5
    """How many entries the home page lists."""
    language: str = "en"
    """The lang attribute of every page."""
    private: bool = False
    """Encrypt the whole site so only the passphrase opens it."""
    cname: str = ""
    """Custom domain written to CNAME on deploy."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form values for custom themes ([extra] table)."""


_TYPES: dict[str, type] = {
    "title": str, "author": str, "base_url": str, "theme": str, "stages": list,
    "outcomes": list, "unsafe_html": bool, "recent": int, "language": str,
    "private": bool, "cname": str, "extra": dict,
}
_TYPE_NAMES = {str: "text", list: "a list of text", bool: "true or false", int: "a whole number",
               dict: "a table"}


def config_keys() -> tuple[str, ...]:
    return tuple(f.name for f in fields(SiteConfig))


def load_config(root: Path) -> tuple[SiteConfig, list[Problem]]:
    """Read ROOT/growthlog.toml (optional) and validate every option."""
    path = root / CONFIG_NAME
    if not path.is_file():
        return SiteConfig(), []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return SiteConfig(), [Problem(CONFIG_NAME, "is not valid UTF-8 text")]
    except tomllib.TOMLDecodeError as exc:
        return SiteConfig(), [Problem(CONFIG_NAME, f"is not valid TOML: {exc}")]
    return parse_config(data)


def parse_config(data: dict[str, Any]) -> tuple[SiteConfig, list[Problem]]:
    """Validate a parsed growthlog.toml table; pure."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _TYPES:
            message = unknown_key_message(key, _TYPES)
            problems.append(Problem(CONFIG_NAME, message, severity=Severity.WARNING))
            continue
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(_type_problem(key, expected, value))
            continue
        if isinstance(value, list):
            if not value or not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(_type_problem(key, list, value, "a non-empty list of text"))
                continue
            if len(set(value)) != len(value):
                problems.append(Problem(CONFIG_NAME, f"lists a value twice: {value}", field=key))
                continue
            value = tuple(value)
        values[key] = value
    if "base_url" in values:
        values["base_url"] = normalise_base_url(values["base_url"])
    if values.get("recent", 1) < 1:
        problems.append(Problem(CONFIG_NAME, f"expected at least 1; found {values['recent']}",
                                field="recent"))
        values.pop("recent")
    return SiteConfig(**values), problems


def normalise_base_url(base_url: str) -> str:
    """'my-log' → '/my-log/'; full URLs keep their scheme and host."""
    base = base_url.strip() or "/"
    if "://" not in base and not base.startswith("/"):
        base = "/" + base
    return base if base.endswith("/") else base + "/"


def _type_problem(key: str, expected: type, value: object, wanted: str | None = None) -> Problem:
    wanted = wanted or _TYPE_NAMES[expected]
    return Problem(CONFIG_NAME, f"expected {wanted}; found {value!r}", field=key)
