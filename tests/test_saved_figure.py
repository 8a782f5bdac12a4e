"""A notebook saved after the panel showed an explain() output keeps its figure outside JupyterLab.

tests/data/saved_figure.ipynb is the notebook as JupyterLab saved it in
ui-tests/tests/figure.spec.ts (renewed by copying ui-tests/test-results/saved-figure.ipynb after a
run): its explain() output holds image/png and text/plain beside the extension's MIME type.
`jupyter nbconvert --to html` must show the figure as an <img>, the colour bar in jet's colours.
"""

import base64
import io
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "data" / "saved_figure.ipynb"
COLORMAP_TS = HERE.parent / "src" / "engine" / "image" / "colormap.ts"
MIME_TYPE = "application/vnd.jupyterlab-gradcam.v1+json"


def jet():
    """The 256 RGB entries of the engine's jet colormap, read from its source."""
    source = COLORMAP_TS.read_text()
    block = source[source.index("jet:") : source.index("viridis:")]
    hexes = "".join(re.findall(r"'([0-9a-f]+)'", block))
    assert len(hexes) == 256 * 6
    return [tuple(bytes.fromhex(hexes[i : i + 6])) for i in range(0, len(hexes), 6)]


def test_the_saved_output_is_a_valid_bundle_with_figure_and_summary():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    [output] = [o for cell in notebook.cells for o in cell.get("outputs", []) if MIME_TYPE in o.get("data", {})]
    assert output["metadata"]["image/png"] == {"width": 256, "height": 272}
    text = output["data"]["text/plain"]
    assert text.startswith("Grad-CAM figure: gradcam map of class 0 (zero) at layer relu2\n")
    assert "score of class 0: " in text and "probability 0." in text


def test_nbconvert_html_shows_the_figure_as_an_image_with_the_colour_bar():
    html = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "html", "--stdout", str(NOTEBOOK)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    sources = re.findall(r'<img[^>]*src="data:image/png;base64,([^"]+)"', html)
    assert len(sources) == 1, "the explain() output is one <img>"
    image = Image.open(io.BytesIO(base64.b64decode(sources[0]))).convert("RGB")
    assert image.size == (256, 272)
    # Rows 260..271 are the colour bar: column x is jet's entry x (low on the left, high on the right).
    assert [image.getpixel((x, 266)) for x in range(256)] == jet()
    # Above it, the picture with the map over it: many colours, not a blank.
    picture = np.asarray(image)[:256].reshape(-1, 3)
    assert len(np.unique(picture, axis=0)) > 20
