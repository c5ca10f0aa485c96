"""Redraw the screenshots in docs/ from the sample log in content/ (headless Chromium).

    python docs/screenshots.py

Home, an entry, progress and the unlock page of a private build, each on a desktop
(1280 px) and a phone (390 px), light and dark: docs/<page>-<desktop|phone>-<scheme>.png.
README's screenshot is docs/screenshot-home.png (home, desktop, light).
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from generator.build import build
from generator.keys import init_keyfile

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
PAGES = {"home": "", "entry": "entries/senior-data-engineer-at-northwind-analytics/",
         "progress": "progress/"}
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
PASSPHRASE = "cobalt hazel dune tripod plaza"  # a throwaway key for the picture only


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _serve(folder: Path) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log"
        shutil.copytree(REPO / "content", log / "content")
        (log / "growthlog.toml").write_text('title = "My growth log"\n', encoding="utf-8")
        build(log, output=Path(tmp) / "public")
        init_keyfile(log, PASSPHRASE, allow_weak=True)
        build(log, output=Path(tmp) / "private", private=True, password=PASSPHRASE)
        public, public_url = _serve(Path(tmp) / "public")
        private, private_url = _serve(Path(tmp) / "private")
        shots = {**{name: public_url + path for name, path in PAGES.items()},
                 "unlock": private_url}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=["--no-sandbox"])
            for size, (width, height) in SIZES.items():
                for scheme in ("light", "dark"):
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  color_scheme=scheme)
                    page = context.new_page()
                    for name, url in shots.items():
                        page.goto(url)
                        page.wait_for_load_state("networkidle")
                        page.screenshot(path=DOCS / f"{name}-{size}-{scheme}.png",
                                        full_page=name != "unlock")
                    context.close()
            browser.close()
        public.shutdown()
        private.shutdown()
    shutil.copyfile(DOCS / "home-desktop-light.png", DOCS / "screenshot-home.png")


if __name__ == "__main__":
    main()
