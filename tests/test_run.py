"""Explain graphs from the command line, run with native onnxruntime: the checker's full check, the
reference maps (PyTorch and pytorch-grad-cam) and the engine's own maps (onnxruntime-web, through
`explain`), a free batch, the data forms the runner accepts, and the displayed maps in numpy."""

import json
from collections import defaultdict

import numpy as np
import onnx
import pytest
import torch
from run_helpers import METHODS, OWN, SHARED, cli, compile_graph

from jupyterlab_gradcam.run import ExplainSession, display_maps, explain_dataset
from jupyterlab_gradcam.run.maps import combine_layers

# Every method on a plain CNN and on one whose output is a Softmax; Grad-CAM on the others.
EVERY_METHOD = {"tiny_cnn.onnx", "small_se.onnx"}


def _cases():
    """Fixture cases by (folder, model file, method)."""
    grouped = defaultdict(list)
    for root in (SHARED, OWN):
        manifest = json.loads((root / "manifest.json").read_text())
        for case in manifest["cases"]:
            method = METHODS.get(case["method"])
            model = case["model_file"].split("/")[-1]
            if method and (model in EVERY_METHOD or method == "gradcam"):
                grouped[(str(root), case["model_file"], method)].append(case)
    return sorted(grouped.items())


CASES = _cases()


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """Compiles each (model, method) once, on demand."""
    folder = tmp_path_factory.mktemp("graphs")
    made = {}

    def graph(root, model_file, method, layers):
        key = (root, model_file, method)
        if key not in made:
            out = folder / f"{len(made)}.onnx"
            summary = compile_graph(f"{root}/{model_file}", out, method, layers)
            made[key] = (out, summary)
        return made[key]

    return graph


@pytest.mark.parametrize("key,cases", CASES, ids=[f"{m.split('/')[-1]}-{meth}" for (_, m, meth), _ in CASES])
def test_maps_of_the_exported_graph_equal_the_reference_maps(graphs, key, cases):
    root, model_file, method = key
    layers = sorted({c["layer_tensor"] for c in cases})
    path, summary = graphs(root, model_file, method, layers)
    assert summary["layers"] == layers and summary["batch"] == "free"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ExplainSession(path)
    assert session.metadata["method"] == method and json.loads(session.metadata["layers"]) == layers
    for case in cases:
        inputs = {name: np.load(f"{root}/{file}") for name, file in case["inputs"].items()}
        result = session.run_batch(inputs, case["class_index"])
        raw = np.load(f"{root}/{case['raw']}")
        got = result.maps[case["layer_tensor"]][0]
        assert got.shape == raw.shape
        assert np.abs(got - raw).max() <= 1e-4 * np.abs(raw).max(), case["id"]
        reference = np.load(f"{root}/{case['map']}")
        shown = result.display(reference.shape, case["layer_tensor"])[0]
        assert np.abs(shown - reference).max() <= 1e-4, case["id"]


def test_native_maps_equal_the_engines_maps_in_onnxruntime_web(tmp_path):
    """The same model, layer and class through `explain --raw` (onnxruntime-web) and the exported graph."""
    model = SHARED / "models" / "mobilenet_v3_small.onnx"
    image = SHARED / "inputs" / "synthetic_224.npy"
    layer = "/features/features.8/Add_output_0"
    path = tmp_path / "g.onnx"
    compile_graph(model, path, "gradcam++", [layer])
    result = ExplainSession(path).run_batch(np.load(image), 281)
    for raw_flag, name in (("--raw", "raw.npy"), (None, "map.npy")):
        args = ["explain", "--model", model, "--input", image, "--layer", layer, "--target", 281]
        args += ["--method", "gradcam++", "--out", tmp_path / name] + ([raw_flag] if raw_flag else [])
        code, _, stderr = cli(*args)
        assert code == 0, stderr
    engine_raw = np.load(tmp_path / "raw.npy")
    native_raw = result.maps[layer][0]
    assert np.abs(native_raw - engine_raw).max() <= 1e-4 * np.abs(engine_raw).max()
    # The numpy display maps follow the engine's conventions exactly: the same raw map gives the
    # same displayed map to float32 rounding.
    engine_map = np.load(tmp_path / "map.npy")
    assert np.abs(display_maps(engine_raw, engine_map.shape) - engine_map).max() <= 1e-6


@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    path = tmp_path_factory.mktemp("mobilenet") / "g.onnx"
    compile_graph(SHARED / "models" / "mobilenet_v3_small.onnx", path, "gradcam")
    session = ExplainSession(path)
    session.path = path
    return session


def _images(n, seed=0):
    rng = np.random.default_rng(seed)
    base = np.load(SHARED / "inputs" / "synthetic_224.npy")
    return np.concatenate([base] + [rng.normal(size=base.shape).astype(np.float32) for _ in range(n - 1)])


def test_a_batch_gives_each_row_its_own_map(mobilenet):
    images = _images(4)
    targets = np.array([930, 3, 281, 7])
    batch = mobilenet.run_batch(images, targets)
    (layer,) = mobilenet.layers
    assert batch.maps[layer].shape == (4, 7, 7)
    for row in range(4):
        single = mobilenet.run_batch(images[row : row + 1], targets[row])
        assert np.allclose(batch.maps[layer][row], single.maps[layer][0], rtol=1e-5, atol=1e-6 * np.abs(single.maps[layer]).max())
        assert np.allclose(batch.outputs["logits"][row], single.outputs["logits"][0], rtol=1e-5, atol=1e-5)


def test_data_forms_batching_and_order(mobilenet):
    images = _images(5, seed=1)
    (layer,) = mobilenet.layers
    whole = mobilenet.run_batch(images, None)
    # No targets: each row's top-1 class.
    assert (whole.targets == whole.outputs["logits"].argmax(axis=1)).all()
    as_tensor = mobilenet.run(torch.from_numpy(images), batch_size=2)
    batches = mobilenet.run([(images[:3], whole.targets[:3]), images[3:]])
    for result in (as_tensor, batches):
        assert (result.targets == whole.targets).all()
        assert np.allclose(result.maps[layer], whole.maps[layer], rtol=1e-5, atol=1e-6)
    one_class = explain_dataset(mobilenet.path, images, targets=3, batch_size=4, threads=2)
    assert (one_class.targets == 3).all() and one_class.maps[layer].shape == (5, 7, 7)


def test_two_input_model_takes_a_dict(tmp_path):
    path = tmp_path / "vqa.onnx"
    compile_graph(SHARED / "models" / "toy_vqa.onnx", path, "gradcam", ["/image_encoder/relu3/Relu_output_0"])
    session = ExplainSession(path)
    image, question = np.load(SHARED / "inputs" / "synthetic_64.npy"), np.load(SHARED / "inputs" / "question_16.npy")
    result = session.run({"image": np.repeat(image, 3, 0), "question": np.repeat(question, 3, 0)}, targets=[0, 1, 2])
    assert result.maps["/image_encoder/relu3/Relu_output_0"].shape == (3, 16, 16)
    with pytest.raises(ValueError, match="pass a dict by input name"):
        session.run(image)


def test_bad_targets_say_what_is_wrong(mobilenet):
    images = _images(2)
    with pytest.raises(ValueError, match="target 1000 is out of range: the output 'logits' has 1000 classes"):
        mobilenet.run_batch(images, [1, 1000])
    with pytest.raises(ValueError, match="targets has 3 entries for a batch of 2 rows"):
        mobilenet.run_batch(images, [1, 2, 3])


def test_a_graph_for_one_row_runs_a_batch_row_by_row(tmp_path):
    """A model whose own graph fixes the batch (Reshape to [1, -1]): the graph is for batch 1, the runner loops."""
    model = onnx.load(OWN / "small_cnn.onnx")
    flatten = next(n for n in model.graph.node if n.op_type == "Flatten")
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.array([1, -1], np.int64), "fixed_shape"))
    reshape = onnx.helper.make_node("Reshape", [flatten.input[0], "fixed_shape"], list(flatten.output))
    nodes = [reshape if n is flatten else n for n in model.graph.node]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    source = tmp_path / "fixed.onnx"
    onnx.save(model, source)
    summary = compile_graph(source, tmp_path / "g.onnx", "gradcam", ["/features/relu3/Relu_output_0"])
    assert summary["batch"] == 1 and "does not run on a batch of 2" in summary["note"]
    session = ExplainSession(tmp_path / "g.onnx")
    assert not session.batch_free
    image = np.load(OWN / "small_cnn_input.npy")
    result = session.run_batch(np.concatenate([image, 0.5 * image]), [0, 1])
    reference = np.load(OWN / "small_cnn" / "features.relu3" / "GradCAM_c0_raw.npy")
    got = result.maps["/features/relu3/Relu_output_0"]
    assert np.abs(got[0] - reference).max() <= 1e-4 * np.abs(reference).max()
    assert np.allclose(got[1], session.run_batch(0.5 * image, 1).maps["/features/relu3/Relu_output_0"][0])


def test_display_maps_conventions():
    raw = np.zeros((2, 3, 3), np.float32)
    raw[1, 0, 0] = 2.0
    shown = display_maps(raw, (5, 7))
    assert shown.shape == (2, 5, 7) and shown.dtype == np.float32
    assert (shown[0] == 0).all()  # an all-zero raw map stays all zeros
    assert shown[1].max() == pytest.approx(1.0, abs=1e-6) and shown[1].min() == 0
    # Several layers: the mean of first passes, normalised again.
    combined = combine_layers([raw, np.ones((2, 2, 2), np.float32)], (5, 7))
    assert combined.shape == (2, 5, 7) and combined[1].max() == pytest.approx(1.0, abs=1e-6)


def test_the_cli_refuses_bad_arguments(tmp_path):
    model = OWN / "small_cnn.onnx"
    code, _, stderr = cli("compile", "--model", model, "--method", "scorecam", "--out", tmp_path / "g.onnx")
    assert code == 2 and "--method 'scorecam' cannot be compiled into an explain graph" in stderr
    code, _, stderr = cli("compile", "--model", model, "--layer", "x", "--all-layers", "--out", tmp_path / "g.onnx")
    assert code == 2 and "give either --layer or --all-layers, not both" in stderr
    code, _, stderr = cli("compile", "--model", model)
    assert code == 2 and "compile needs --out" in stderr


def test_a_token_layer_with_a_class_token_equals_the_engine(tmp_path):
    """A ViT-like model (patch Conv, a class token, a token MLP): the token layer's map is its 8x8
    grid (the class token sliced off, as the engine does), the batch stays free, and the maps equal
    `explain --raw` of the engine."""

    class TinyViT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.patches = torch.nn.Conv2d(3, 16, 4, 4)
            self.cls = torch.nn.Parameter(torch.randn(1, 1, 16))
            self.mlp = torch.nn.Linear(16, 16)
            self.head = torch.nn.Linear(16, 5)

        def forward(self, x):
            tokens = self.patches(x).flatten(2).transpose(1, 2)
            tokens = torch.cat([self.cls.expand(x.shape[0], -1, -1), tokens], 1)
            tokens = torch.relu(self.mlp(tokens))
            return self.head(tokens[:, 1:].mean(1) + tokens[:, 0])

    torch.manual_seed(0)
    model, image = TinyViT().eval(), torch.randn(1, 3, 32, 32)
    source = tmp_path / "vit.onnx"
    torch.onnx.export(
        model, image, str(source), opset_version=17, dynamo=False, input_names=["input"],
        output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )
    np.save(tmp_path / "x.npy", image.numpy())
    layer = "/Relu_output_0"  # [1, 65, 16]: a class token, then 8 x 8 patches
    summary = compile_graph(source, tmp_path / "g.onnx", "layercam", [layer])
    assert summary["maps"] == {f"cam:{layer}": [8, 8]} and summary["batch"] == "free"
    code, _, stderr = cli(
        "explain", "--model", source, "--input", tmp_path / "x.npy", "--layer", layer, "--target", 2,
        "--method", "layercam", "--raw", "--out", tmp_path / "raw.npy",
    )
    assert code == 0, stderr
    engine = np.load(tmp_path / "raw.npy")
    assert engine.max() > 0
    maps = ExplainSession(tmp_path / "g.onnx").run_batch(np.repeat(image.numpy(), 3, 0), 2).maps[layer]
    assert maps.shape == (3, 8, 8)
    assert np.abs(maps - engine).max() <= 1e-4 * engine.max()
