"""Find the theme and make its Jinja environment.

Template lookup, first match wins: the log's themes/<theme>/templates, then a theme of
that name shipped with growthlog, then the shipped default. Any template can also be
reached as 'default/<name>', so an override can extend the template it replaces.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.config import CONFIG_NAME, SiteConfig, key_lines
from generator.errors import GrowthlogError, Problem, ProblemsFound
from generator.fragments import FragmentCache
from generator.model import PRACTICES


@dataclass(frozen=True, eq=False, repr=False)
class Theme:
    """A theme as found for one log: a new Theme (new object) after any theme file changed."""

    loader: jinja2.BaseLoader
    static_dirs: tuple[Path, ...]
    """Static folders, most specific first: a file in an earlier one wins."""
    template_dirs: tuple[Path, ...]
    root: Path | None = None
    """The log's folder: template problems name files relative to it."""

    def environment(self, compiled: jinja2.BytecodeCache | None = None, *,
                    kind: type[jinja2.Environment] = jinja2.Environment,
                    **site_globals: object) -> jinja2.Environment:
        """A Jinja environment (strict, autoescaping; of class `kind`) with these globals
        from the start: a site renders with one per theme, URLs and config
        (render.Renderer)."""
        # auto_reload off: a theme file changed makes a new Theme (serve's watcher, the
        # theme's hash in the build cache), so Jinja need not look at each template's
        # file again for every page (3 stats a page).
        env = kind(loader=self.loader, autoescape=True,
                   undefined=jinja2.StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True,
                   extensions=[FragmentCache], bytecode_cache=compiled, auto_reload=False)
        env.filters["longdate"] = format_long_date
        env.filters["shortdate"] = format_short_date
        env.globals["practices"] = PRACTICES
        env.globals.update(site_globals)
        return env


def packaged_themes_dir() -> Path:
    """themes/ inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "themes", here.parent / "themes"):
        if (candidate / "default" / "templates").is_dir():
            return candidate
    raise GrowthlogError(f"growthlog's default theme is missing (looked in {here / 'themes'}); "
                         "reinstall growthlog")


def theme_dirs(root: Path, config: SiteConfig) -> list[Path]:
    """Theme folders that apply to this log, most specific first."""
    shipped = packaged_themes_dir()
    dirs = [root / "themes" / config.theme, shipped / config.theme, shipped / "default"]
    unique: list[Path] = []
    for path in dirs:
        if path.is_dir() and path.resolve() not in [u.resolve() for u in unique]:
            unique.append(path)
    return unique


def load_theme(root: Path, config: SiteConfig) -> Theme:
    """This log's theme: its template loader and static folders."""
    dirs = theme_dirs(root, config)
    if config.theme != "default" and not any(d.name == config.theme for d in dirs):
        raise ProblemsFound([_missing_theme(root, config.theme)])
    template_dirs = tuple(d / "templates" for d in dirs if (d / "templates").is_dir())
    default = packaged_themes_dir() / "default" / "templates"
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in template_dirs]),
        jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(default))}),
    ])
    static = tuple(d / "static" for d in dirs if (d / "static").is_dir())
    return Theme(loader, static, template_dirs, root)


def _missing_theme(root: Path, name: str) -> Problem:
    shipped = sorted(d.name for d in packaged_themes_dir().iterdir()
                     if (d / "templates").is_dir())
    try:
        line = key_lines((root / CONFIG_NAME).read_text(encoding="utf-8")).get("theme")
    except (OSError, UnicodeDecodeError):
        line = None
    return Problem(CONFIG_NAME, f"no theme '{name}'; expected a folder themes/{name}/templates "
                   f"in the log, or a shipped theme ({', '.join(shipped)})", line=line,
                   field="theme")


def format_long_date(value: dt.date) -> str:
    """14 March 2026"""
    return f"{value.day} {value:%B %Y}"


def format_short_date(value: dt.date) -> str:
    """14 Mar 2026"""
    return f"{value.day} {value:%b %Y}"
