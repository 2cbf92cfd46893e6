"""Packaging (issue 7): every package-data pattern names files that exist, except the
control panel's asset folders (web/templates, web/static), which the panel branch adds and
which are included recursively so both branches' files ship."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "prorata"


def test_package_data_patterns_match_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["prorata"]
    assert "web/templates/**/*" in patterns and "web/static/**/*" in patterns
    dead = [p for p in patterns if not p.startswith("web/") and not list(PACKAGE.glob(p))]
    assert dead == []
