"""The Python package's METHODS against the engine's table of methods (src/engine/methods.ts).

The engine's table is read from the command line's CommonJS build (lib-cli/, made by
`npm run build`, which `make test` runs before pytest), so the comparison is with what ships.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from jupyterlab_gradcam.explain import METHODS

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "lib-cli" / "engine" / "methods.js"


def engine_methods():
    """The engine's METHODS rows, as JSON, in the table's order."""
    if shutil.which("node") is None or not TABLE.is_file():
        pytest.fail(f"needs node and the CLI build {TABLE.relative_to(ROOT)}: run `npm run build` first")
    script = f"process.stdout.write(JSON.stringify(require({json.dumps(str(TABLE))}).METHODS))"
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_python_methods_are_the_engine_table_in_order():
    assert list(METHODS) == [row["name"] for row in engine_methods()]


def test_every_engine_row_has_its_traits():
    rows = engine_methods()
    assert {row["kind"] for row in rows} == {"gradient", "forward", "input"}
    for row in rows:
        assert set(row) == {"name", "kind", "usesLayer", "hasTarget", "costly", "label", "description"}
        assert row["label"] and row["description"], row["name"]
