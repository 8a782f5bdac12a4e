"""Explain graphs for the run tests: written by the real command line (`node bin/jupyterlab-gradcam.js compile`)."""

import json
import subprocess
from pathlib import Path

from conftest import REPO_ROOT

CLI = REPO_ROOT / "bin" / "jupyterlab-gradcam.js"
SHARED = Path(__import__("os").environ.get("GRADCAM_FIXTURES", REPO_ROOT.parent / "shared" / "fixtures"))
OWN = REPO_ROOT / "src" / "__tests__" / "data" / "refs"

#: The library's method names -> the CLI's.
METHODS = {
    "GradCAM": "gradcam",
    "HiResCAM": "hirescam",
    "GradCAMPlusPlus": "gradcam++",
    "XGradCAM": "xgradcam",
    "LayerCAM": "layercam",
    "CounterfactualGradCAM": "counterfactual",
}


def cli(*args):
    """Runs the command line; returns (exit code, stdout, stderr)."""
    if not (REPO_ROOT / "lib-cli" / "cli" / "main.js").exists():
        raise AssertionError("the command line is not built: run `npm run build` (or `npx tsc -p tsconfig.cli.json`)")
    done = subprocess.run(["node", str(CLI), *map(str, args)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def compile_graph(model, out, method="gradcam", layers=(), *extra):
    """Writes the explain graph of `model` to `out`; returns the CLI's JSON summary."""
    args = ["compile", "--model", model, "--method", method, "--out", out, *extra]
    for layer in layers:
        args += ["--layer", layer]
    code, stdout, stderr = cli(*args)
    assert code == 0, stderr
    return json.loads(stdout)
