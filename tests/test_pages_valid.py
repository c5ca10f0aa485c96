"""Every page of every built site is valid HTML (and its CSS valid CSS) to the W3C Nu checker."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from pages import VNU_JAR, checker, decrypt_pages


def test_every_page_is_valid_html(built_sites: dict[str, Any], tmp_path: Path) -> None:
    jar = checker(VNU_JAR, "the W3C Nu Html Checker")
    folders = [str(site.out) for site in built_sites.values() if not site.private]
    folders += [str(decrypt_pages(site, tmp_path / site.name))
                for site in built_sites.values() if site.private]
    canary = tmp_path / "canary" / "index.html"  # proves the checker read the folders
    canary.parent.mkdir()
    canary.write_text("<!doctype html><title>x</title><p><span></p>", encoding="utf-8")
    folders.append(str(canary.parent))
    files = sorted(str(p) for folder in folders for p in Path(folder).rglob("*")
                   if p.suffix in (".html", ".css"))
    # One run over every folder: the JVM start is the slow part.
    run = subprocess.run(["java", "-Xss4m", "-jar", str(jar), "--format", "json",
                          "--also-check-css", "--exit-zero-always", *files],
                         capture_output=True, text=True, timeout=600, check=True)
    messages = json.loads(run.stderr)["messages"]
    errors = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']}"
              f" [{m.get('extract', '').strip()[:80]}]"
              for m in messages if m["type"] in ("error", "non-document-error")]
    assert [e for e in errors if "/canary/" in e], "the checker did not run over the pages"
    errors = [e for e in errors if "/canary/" not in e]
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors)
    assert len(files) > 250 and sum(f.endswith(".css") for f in files) >= 3
