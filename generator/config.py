"""growthlog.toml → SiteConfig: every option declared once with its default.

All problems in the file are reported at once; unknown options are warnings.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.custom_fields import CustomField, parse_fields
from generator.errors import Problem, Severity, raise_on_errors
from generator.share_rules import ReaderRules, check_hidden, check_reply_to, parse_readers
from generator.suggest import unknown_key_message
from generator.value import Value, frozen

CONFIG_NAME = "growthlog.toml"
DEFAULT_STAGES = ("applied", "screen", "assessment", "interview", "final", "offer")
DEFAULT_OUTCOMES = ("rejected", "ghosted", "withdrew", "closed")
MIN_ITERATIONS = 600_000
"""OWASP's floor for PBKDF2-HMAC-SHA256 (2023): private mode never derives a key with fewer."""
MAX_ITERATIONS = 20_000_000
"""A reader's browser runs them on every unlock: more would take minutes on a phone (and
OpenSSL refuses counts past 2**31)."""


@frozen
class SiteConfig(Value):
    """Options of one log. Each attribute is one key of growthlog.toml."""

    title: str = "My growth log"
    """Shown in the header and page titles."""
    author: str = ""
    """Your name, shown in the footer (optional)."""
    base_url: str = "/"
    """Path the site is served under, e.g. '/my-log/' for a GitHub project page."""
    url: str = ""
    """Full address of the published site, e.g. 'https://you.github.io/my-log/' (for the feed)."""
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
    rerandomize: bool = False
    """Private mode: fresh nonces on every build, so every sealed file changes (names, count
    and size classes still show: docs/privacy.md)."""
    remember_days: int = 30
    """Private mode: how long "remember on this device" keeps the key; 0 hides the option."""
    remember_on_shared_origin: bool = False
    """Private mode: offer "remember on this device" although url/base_url put the site under
    a path of an origin other sites share (whose scripts could then use the key)."""
    iterations: int = MIN_ITERATIONS
    """Private mode: PBKDF2 iterations for a new keyfile (at least 600,000)."""
    reveal_titles: bool = False
    """Private mode: show real page titles in the tab (and so in browser history) once unlocked."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form values for custom themes ([extra] table)."""
    fields: tuple[CustomField, ...] = ()
    """The log's own front-matter fields ([[fields]] tables: name, type, label)."""
    readers: tuple[ReaderRules, ...] = ()
    """Private mode: which entries each reader's view holds ([readers.NAME] tables: tags,
    since, hide), besides entries whose front matter says `share: [NAME]`."""
    reply_to: str = ""
    """Private mode: your e-mail address; a reader's entry page then offers "Reply"."""
    unchecked: frozenset[str] = frozenset()
    """Not a key: the options among stages and outcomes whose value was wrong (their
    default stands in). Entries are not checked against them, so the one mistake in
    growthlog.toml is not said again for every entry."""


_TYPES: dict[str, type] = {
    "title": str, "author": str, "base_url": str, "url": str, "theme": str, "stages": list,
    "outcomes": list, "unsafe_html": bool, "recent": int, "language": str,
    "private": bool, "cname": str, "extra": dict, "rerandomize": bool, "remember_days": int,
    "iterations": int, "reveal_titles": bool, "remember_on_shared_origin": bool,
    "fields": list, "readers": dict, "reply_to": str,
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
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        return SiteConfig(), [Problem(CONFIG_NAME, "is not valid UTF-8 text; save it as UTF-8",
                                      line=exc.object[: exc.start].count(b"\n") + 1)]
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        return SiteConfig(), [Problem(CONFIG_NAME, f"is not valid TOML: {exc}",
                                      line=int(at.group(1)) if at else None)]
    return parse_config(data, key_lines(text))


def load_valid_config(root: Path) -> SiteConfig:
    """The config, or ProblemsFound when growthlog.toml has errors (warnings pass)."""
    config, problems = load_config(root)
    raise_on_errors(problems)
    return config


_KEY = re.compile(r"""^[ \t]*\[?[ \t]*["']?([A-Za-z0-9_-]+)["']?[ \t]*[=.\]]""")


_TABLE = re.compile(r"^[ \t]*\[[ \t]*([A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*)[ \t]*\]")
_ARRAY_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*([A-Za-z0-9_-]+)[ \t]*\]\]")


def key_lines(text: str) -> dict[str, int]:
    """Line of each top-level key (tomllib keeps no positions); a table by its header."""
    lines: dict[str, int] = {}
    in_table = False
    arrays: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        is_header = line.lstrip().startswith("[")
        array = _ARRAY_HEADER.match(line)
        if array:  # [[fields]]: each table by its index, 'fields[0]'
            name = array.group(1)
            arrays[name] = arrays.get(name, -1) + 1
            lines.setdefault(name, number)
            lines[f"{name}[{arrays[name]}]"] = number
        match = _KEY.match(line)
        if match and (is_header or not in_table):
            lines.setdefault(match.group(1), number)
        # Dotted names too: '[readers.sam]' and its 'tags = …' as 'readers.sam.tags'.
        dotted = _TABLE.match(line)
        if dotted and not array:
            table = dotted.group(1).replace(" ", "").replace("\t", "")
            if "." in table:
                lines.setdefault(table, number)
        elif is_header:
            table = ""
        elif table and match:
            lines.setdefault(f"{table}.{match.group(1)}", number)
        in_table = in_table or is_header
    return lines


def parse_config(data: dict[str, Any],
                 lines: dict[str, int] | None = None) -> tuple[SiteConfig, list[Problem]]:
    """Validate a parsed growthlog.toml table; pure. `lines` maps keys to file lines."""
    at = lines or {}
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("stages", "outcomes"):
            values["unchecked"] = values.get("unchecked", frozenset()) | {key}
        if key not in _TYPES:
            message = unknown_key_message(key, _TYPES)
            problems.append(Problem(CONFIG_NAME, message, line=at.get(key),
                                    severity=Severity.WARNING))
            continue
        if key == "fields":
            from generator.schema import builtin_keys  # the validator: only for custom fields

            values[key], more = parse_fields(value, builtin_keys(), CONFIG_NAME, at)
            problems += more
            continue
        if key == "readers":
            values[key], more = parse_readers(value, CONFIG_NAME, at)
            problems += more
            continue
        expected = _TYPES[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(_type_problem(key, expected, value))
            continue
        if key == "theme" and isinstance(value, str) and not _is_folder_name(value):
            problems.append(Problem(
                CONFIG_NAME, "expected the name of a theme: one folder name (themes/<name>/ "
                f"in the log, or a shipped theme), at most {MAX_SEGMENT} bytes, with no '/' "
                f"and no control characters; found {_shown(value)}", field=key))
            continue
        if isinstance(value, list):
            if not value or not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(_type_problem(key, list, value, "a non-empty list of text"))
                continue
            if len(set(value)) != len(value):
                problems.append(Problem(CONFIG_NAME, f"lists a value twice: {value}", field=key))
                continue
            if key == "stages" and (bad := [v for v in value if not _is_path_segment(v)]):
                problems.append(Problem(
                    CONFIG_NAME, f"each stage names a page folder (stages/<stage>/), so no "
                    f"part of it between '/' may be '.' or '..', it holds no control "
                    f"characters, and is at most {MAX_SEGMENT} bytes; found {bad}", field=key))
                continue
            if key == "stages" and (clash := _folder_clashes(value)):
                problems.append(Problem(
                    CONFIG_NAME, "each stage needs a page folder of its own (stages/<stage>/), "
                    "and these would share one (they differ only in a '/' at either end or "
                    f"twice, or in the case of letters): {clash}", field=key))
                continue
            value = tuple(value)
            values["unchecked"] -= {key}
        values[key] = value
    if values.get("url"):
        values["url"] = values["url"].strip().rstrip("/") + "/"
    if "base_url" in values:
        values["base_url"] = normalise_base_url(values["base_url"])
    for key, least in (("remember_days", 0), ("iterations", MIN_ITERATIONS)):
        if values.get(key, least) < least:
            problems.append(Problem(CONFIG_NAME, f"expected at least {least:,}; found "
                                    f"{values.pop(key):,}", field=key))
    if values.get("iterations", MIN_ITERATIONS) > MAX_ITERATIONS:
        problems.append(Problem(CONFIG_NAME, f"expected at most {MAX_ITERATIONS:,}; found "
                                f"{values.pop('iterations'):,}", field="iterations"))
    if values.get("recent", 1) < 1:
        problems.append(Problem(CONFIG_NAME, f"expected at least 1; found {values['recent']}",
                                field="recent"))
        values.pop("recent")
    if "reply_to" in values and (wrong := check_reply_to(values["reply_to"])):
        problems.append(Problem(CONFIG_NAME, wrong, field="reply_to"))
        values.pop("reply_to")
    config = SiteConfig(**values)
    problems += check_hidden(config.readers, config.fields, CONFIG_NAME, at)
    if config.private:
        problems += shared_origin_warnings(config, config.base_url)
    problems = [replace(p, line=at.get(p.field)) if p.field and p.line is None else p
                for p in problems]
    return config, problems


def shared_origin(url: str, base_url: str) -> tuple[str, str]:
    """(option, origin) when url or base_url puts the site below the root of its origin
    (a GitHub project site, any non-root path): other sites may share that origin, and with
    it the browser storage where an unlocked key is kept. ('', '') when neither does."""
    for option, address in (("url", url), ("base_url", base_url)):
        parts = urlsplit(address)
        if address and parts.path.rstrip("/"):
            origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "its host"
            return option, origin
    return "", ""


def remembering(config: SiteConfig, base_url: str) -> int:
    """The remember_days a private build publishes: 0 (off) on a shared origin, unless the
    author opted in with remember_on_shared_origin."""
    shared = shared_origin(config.url, base_url)[0]
    return 0 if shared and not config.remember_on_shared_origin else config.remember_days


def shared_origin_warnings(config: SiteConfig, base_url: str) -> list[Problem]:
    """The warning a private build on a shared origin gets (none on a site's own origin)."""
    option, origin = shared_origin(config.url, base_url)
    if not option:
        return []
    remember = ("'Remember on this device' is on because remember_on_shared_origin = true"
                if config.remember_on_shared_origin and config.remember_days else
                "'Remember on this device' is off (remember_on_shared_origin = true turns it "
                "on anyway)")
    return [Problem(CONFIG_NAME, f"puts the private site under a path of {origin}, an origin "
                    "other sites can share (every GitHub project site of an account does): "
                    "their scripts can use a key this site keeps in the browser. Publish it "
                    "from an organisation or a custom domain used only for this log. "
                    f"{remember}.", field=option, severity=Severity.WARNING)]


MAX_SEGMENT = 200
"""Bytes in a stage name: one folder name, with room under the file systems' 255."""


def _is_path_segment(text: str) -> bool:
    return (not any(part.strip() in (".", "..") for part in text.split("/"))
            and not any(ord(c) < 32 or ord(c) == 127 for c in text)
            and len(text.encode("utf-8", "surrogatepass")) <= MAX_SEGMENT)


def _is_folder_name(text: str) -> bool:
    return text.strip() not in ("", ".", "..") and "/" not in text and "\\" not in text \
        and _is_path_segment(text)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _folder_clashes(stages: list[str]) -> list[str]:
    """Two stages whose page folders are one and the same on some disk: 'a' and 'a/' (one
    URL), 'Offer' and 'offer' (one folder on macOS and Windows)."""
    seen: dict[str, str] = {}
    for stage in stages:
        folder = "/".join(part for part in stage.split("/") if part).casefold()
        if folder in seen:
            return [seen[folder], stage]
        seen[folder] = stage
    return []


def normalise_base_url(base_url: str) -> str:
    """'my-log' → '/my-log/'; full URLs keep their scheme and host."""
    base = base_url.strip() or "/"
    if "://" not in base and not base.startswith("/"):
        base = "/" + base
    return base if base.endswith("/") else base + "/"


def _type_problem(key: str, expected: type, value: object, wanted: str | None = None) -> Problem:
    wanted = wanted or _TYPE_NAMES[expected]
    return Problem(CONFIG_NAME, f"expected {wanted}; found {value!r}", field=key)
