"""The prebuilt labextension: what the Python package points JupyterLab at, and what it ships."""

import json
import sys
from pathlib import Path

import jupyterlab_gradcam

# onnxruntime-web's files for its default entry (wasm and WebGPU through JSEP): webpack.config.js.
RUNTIME_FILES = ("ort-wasm-simd-threaded.jsep.mjs", "ort-wasm-simd-threaded.jsep.wasm")


def built_labextension() -> Path:
    (path,) = jupyterlab_gradcam._jupyter_labextension_paths()
    assert path["dest"] == "jupyterlab-gradcam"
    return Path(jupyterlab_gradcam.__file__).parent / path["src"]


def test_the_labextension_path_holds_a_built_extension():
    built = built_labextension()
    package = json.loads((built / "package.json").read_text())
    assert package["name"] == "jupyterlab-gradcam"
    assert package["version"] == jupyterlab_gradcam.__version__
    # The builder records the federated module's entry point, and the entry must exist.
    assert (built / package["jupyterlab"]["_build"]["load"]).is_file()


def test_the_labextension_ships_the_runtime_files():
    static = built_labextension() / "static"
    for name in RUNTIME_FILES:
        assert (static / name).stat().st_size > 0, name
    # A WebAssembly binary starts with the magic word "\0asm" (a 404 page would not).
    with open(static / "ort-wasm-simd-threaded.jsep.wasm", "rb") as wasm:
        assert wasm.read(4) == b"\0asm"


def test_the_labextension_ships_the_settings_schema():
    schema_file = built_labextension() / "schemas" / "jupyterlab-gradcam" / "plugin.json"
    schema = json.loads(schema_file.read_text())
    defaults = {name: spec["default"] for name, spec in schema["properties"].items()}
    assert defaults == {"backend": "auto", "colormap": "jet", "overlayOpacity": 0.5, "topK": 5}


def test_jupyterlab_finds_the_extension_in_this_environment():
    installed = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-gradcam"
    package = json.loads((installed / "package.json").read_text())
    assert package["name"] == "jupyterlab-gradcam"
    if installed.is_symlink():
        # A development install (`jupyter labextension develop`): a link to this checkout's build.
        assert installed.resolve() == built_labextension().resolve()
    else:
        # A wheel install: the shared data carries install.json, which tells users how to remove it.
        assert (installed / "install.json").is_file()
