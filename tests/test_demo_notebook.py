"""The demo notebook runs top to bottom in a real kernel and displays explanations."""
import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.ipynb"
MIME = "application/vnd.jupyterlab-gradcam.v1+json"
AUDIT_MIME = "application/vnd.jupyterlab-gradcam.audit.v1+json"


def test_demo_notebook_runs_and_displays_explanations():
    notebook = nbformat.read(DEMO, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(DEMO.parent)}}).execute()
    bundles = [
        output["data"][MIME]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if MIME in output.get("data", {})
    ]
    # Every explain(...) call of the walkthrough shows one output the panel opens on.
    calls = sum(cell.source.count("explain(") for cell in notebook.cells if cell.cell_type == "code")
    assert len(bundles) >= 1
    assert len(bundles) == calls, json.dumps(bundles)[:500]
    for bundle in bundles:
        assert isinstance(bundle["handle"], str) and bundle["handle"]
    # The audit section: every audit(...) call shows one audit output over the same 300 labelled images.
    audits = [
        output["data"][AUDIT_MIME]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if AUDIT_MIME in output.get("data", {})
    ]
    audit_calls = sum(cell.source.count("audit(") for cell in notebook.cells if cell.cell_type == "code")
    assert len(audits) == audit_calls == 2, json.dumps(audits)[:500]
    for bundle in audits:
        assert (bundle["count"], bundle["image_shape"], bundle["has_labels"], bundle["has_boxes"]) == (300, [96, 96, 3], True, True)
    assert [bundle["result"] for bundle in audits] == ["biased_audit", "clean_audit"]
