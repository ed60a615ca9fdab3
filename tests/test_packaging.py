"""The package carries what it needs outside a checkout: the demo's sample sites and fixture APIs,
the glossary, the node's plugin sources (issue: the installed demo imported `tests.`)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.fast  # no Elasticsearch, Redis or browser


def test_the_wheel_ships_the_demo_sites_the_glossary_and_the_plugin(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w",
         str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = tmp_path.glob("news_monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for wanted in (
        "monitor/demo/__main__.py",
        "monitor/demo/sites/sources.yaml",
        "monitor/demo/sites/www/gov/zcwj/index.html",
        "monitor/demo/sites/docs/apis.py",
        "monitor/demo/sites/docs/sources.yaml",
        "monitor/search/data/glossary.yaml",
        "monitor/es/plugin/plugin-descriptor.properties",
    ):
        assert wanted in names, wanted
    assert not [n for n in names if n.startswith("tests/")]
    code = zipfile.ZipFile(wheel).read("monitor/demo/__main__.py").decode()
    assert "tests." not in code and "tests/" not in code
