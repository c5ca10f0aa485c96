"""The wheel ships the default theme, and an installed growthlog works outside this repo."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from conftest import REPO


def _run(args: list[str | Path], cwd: Path, timeout: int = 600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def test_wheel_ships_the_theme_and_installs_into_a_clean_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO], cwd=tmp_path)
    (wheel,) = dist.glob("growthlog-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    theme = "generator/themes/default/"
    for page in ("base", "index", "entry", "tags", "tag", "timeline", "lessons", "actions",
                 "404"):
        assert f"{theme}templates/{page}.html" in names
    assert f"{theme}static/style.css" in names
    assert f"{theme}theme.toml" in names
    assert not any(name.startswith(("content/", "tests/", "output/")) for name in names)

    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env)
    _run([env / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    growthlog = env / "bin" / "growthlog"
    _run([growthlog, "init", tmp_path / "x"], cwd=elsewhere)
    summary = _run([growthlog, "build", tmp_path / "x"], cwd=elsewhere)
    assert summary.startswith("1 entry, 2 tags: ")
    assert (tmp_path / "x" / "output" / "index.html").is_file()
    assert (tmp_path / "x" / "output" / "static" / "style.css").is_file()
    installed = _run([env / "bin" / "python", "-c",
                      "import generator.theme as t; print(t.packaged_themes_dir())"],
                     cwd=elsewhere)
    assert str(env) in installed
