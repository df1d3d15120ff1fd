"""The map component's JavaScript parses as an ES module (it has no build step to catch this)."""

import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "pages" / "studio_ui" / "scatter_map" / \
    "scatter_map.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js for node --check")
def test__scatter_map_js__is_a_valid_es_module_with_a_default_export(tmp_path):
    module = tmp_path / "scatter_map.mjs"
    module.write_text(SOURCE.read_text(encoding="utf-8"))
    checked = subprocess.run(["node", "--check", str(module)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "export default function" in SOURCE.read_text(encoding="utf-8")
