"""Nothing from an upload (or a weights file) is unpickled, evaluated or rendered as raw HTML:
the code that could do it is not there. Read from the sources, so a new call is caught."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("pfn_core/**/*.py"), *ROOT.glob("pages/**/*.py"), *ROOT.glob("*.py")])
SCATTER_MAP_JS = ROOT / "pages" / "studio_ui" / "scatter_map" / "scatter_map.js"
FORBIDDEN = {
    "pickle": re.compile(r"\bimport pickle\b|\bpickle\.loads?\(|read_pickle\(|joblib\.load\("),
    "torch.load (pickle inside)": re.compile(r"\btorch\.load\("),
    "numpy pickles": re.compile(r"allow_pickle\s*=\s*True"),
    "eval/exec": re.compile(r"(?<![\w.])(eval|exec)\("),
    "raw HTML from Streamlit": re.compile(r"unsafe_allow_html\s*=\s*True"),
}


@pytest.mark.parametrize("what", sorted(FORBIDDEN))
def test__no_source_file__unpickles_evaluates_or_renders_raw_html(what):
    assert SOURCES, "no sources found"
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for path in SOURCES
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if FORBIDDEN[what].search(line)]
    assert offenders == []


def test__map_component__puts_what_it_is_sent_into_the_page_as_text_only():
    """Label names and hover lines reach the page as text nodes (textContent), so markup in
    an upload is shown as typed; the one innerHTML is the static toolbar."""
    js = SCATTER_MAP_JS.read_text(encoding="utf-8")
    assignments = re.findall(r"\.innerHTML\s*=\s*(`[^`]*`)", js)
    assert js.count("innerHTML") == 1 and len(assignments) == 1
    assert "${" not in assignments[0]
    assert "insertAdjacentHTML" not in js and "outerHTML" not in js
    assert "textContent" in js and "createTextNode" in js


def test__weights__load_through_safetensors_only():
    checkpoint = (ROOT / "pfn_core" / "checkpoint.py").read_text()
    assert "safetensors" in checkpoint and "torch.load" not in checkpoint
