"""The explain graph on native onnxruntime against a forward-only run and pytorch-grad-cam, and its
throughput in the kernel and on a 2-worker Dask cluster. One run, one machine, figures printed.

    .venv/bin/python bench/explain_graph.py [--models mobilenet_v3_small,resnet18] [--images 1000]

Needs torch, torchvision, grad-cam (pytorch-grad-cam), onnxruntime and dask[distributed], and the
command line built (`npx tsc -p tsconfig.cli.json`). The models are torchvision's with random
weights (seed 0), exported with torch.onnx (opset 17); the same weights run in PyTorch and ONNX.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Threads that sleep when idle: on a shared machine, spinning OpenMP threads made a 2-thread
# PyTorch forward of MobileNetV3 take 1-4 s instead of 20 ms (each barrier waited for a thread
# the OS had descheduled). onnxruntime gets the same setting (allow_spinning = 0) below.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

from jupyterlab_gradcam.run import ExplainSession  # noqa: E402

SIZE = 224
THREADS = 2  # set from --threads


def torch_model(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    # The torch module whose output is the engine's default layer (checked below numerically).
    layer = {"mobilenet_v3_small": lambda m: m.features[12], "resnet18": lambda m: m.layer4[-1]}[name](model)
    return model, layer


def export(model, path):
    torch.onnx.export(
        model, torch.zeros(1, 3, SIZE, SIZE), str(path), opset_version=17, dynamo=False,
        do_constant_folding=True, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
    )


def compile_graph(model_path, out):
    done = subprocess.run(
        ["node", str(ROOT / "bin/jupyterlab-gradcam.js"), "compile", "--model", str(model_path), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def session_options():
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def median_ms(calls, runs, warmup=3):
    """Median milliseconds of each call; the calls are interleaved run by run, so that a change of
    the machine's load shifts them alike."""
    for _ in range(warmup):
        for fn in calls:
            fn()
    times = [[] for _ in calls]
    for _ in range(runs):
        for k, fn in enumerate(calls):
            start = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - start)
    return [1000 * float(np.median(t)) for t in times]


def batches(count, batch, seed=0):
    rng = np.random.default_rng(seed)
    for start in range(0, count, batch):
        yield rng.standard_normal((min(batch, count - start), 3, SIZE, SIZE), dtype=np.float32)


def bench_model(name, images, runs, folder):
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, layer_module = torch_model(name)
    onnx_path = folder / f"{name}.onnx"
    export(model, onnx_path)
    summary = compile_graph(onnx_path, folder / f"{name}.explain.onnx")
    (layer,) = summary["layers"]
    forward = ort.InferenceSession(str(onnx_path), session_options(), providers=["CPUExecutionProvider"])
    explain = ExplainSession(folder / f"{name}.explain.onnx", options=session_options())
    torch.set_num_threads(THREADS)
    cam = GradCAM(model=model, target_layers=[layer_module])

    x = next(batches(1, 1, seed=1))
    target = int(forward.run(None, {"input": x})[0].argmax())
    # The same map, three ways: the exported graph (native), the reference library (PyTorch).
    ours = explain.run_batch(x, target)
    reference = cam(input_tensor=torch.from_numpy(x), targets=[ClassifierOutputTarget(target)])[0]
    shown = ours.display((SIZE, SIZE), layer)[0]
    agreement = float(np.abs(shown - reference).max())

    t_forward, t_explain, t_explain_shown, t_library = median_ms(
        [
            lambda: forward.run(None, {"input": x}),
            lambda: explain.run_batch(x, target),
            lambda: explain.run_batch(x, target).display((SIZE, SIZE), layer),
            lambda: cam(input_tensor=torch.from_numpy(x), targets=[ClassifierOutputTarget(target)]),
        ],
        runs,
    )

    # Throughput over `images` images, batches of 32, one class per image (the top-1 of a first pass
    # is not counted: targets are given).
    # Batch by batch in turn, so that a change of the machine's load shifts both alike.
    targets = np.arange(images) % 1000
    forward_s = explain_s = 0.0
    for k, batch in enumerate(batches(images, 32)):
        start = time.perf_counter()
        forward.run(None, {"input": batch})
        forward_s += time.perf_counter() - start
        start = time.perf_counter()
        explain.run_batch(batch, targets[32 * k : 32 * k + len(batch)])
        explain_s += time.perf_counter() - start
    forward_rate, kernel_rate = images / forward_s, images / explain_s
    dask_rate = dask_throughput(folder / f"{name}.explain.onnx", images, targets)
    ray_rate = ray_throughput(folder / f"{name}.explain.onnx", images, targets) if RAY else None
    return {
        "model": name,
        "layer": layer,
        "batch": summary["batch"],
        "map_vs_pytorch_grad_cam_max_abs_diff": agreement,
        "forward_ms": t_forward,
        "explain_ms": t_explain,
        "explain_and_display_ms": t_explain_shown,
        "pytorch_grad_cam_ms": t_library,
        "explain_over_forward": t_explain / t_forward,
        "explain_and_display_over_pytorch_grad_cam": t_explain_shown / t_library,
        "forward_images_per_s_kernel": forward_rate,
        "explain_images_per_s_kernel": kernel_rate,
        "explain_images_per_s_dask_2_workers": dask_rate,
        "explain_images_per_s_ray_2_actors": ray_rate,
        "load_average": os.getloadavg()[0],
    }


def dask_throughput(graph, images, targets):
    import dask.array as da
    import distributed

    from jupyterlab_gradcam.run import dask_cluster

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        # Images made on the workers: the bench measures the explain runs, not shipping 600 MB.
        data = da.random.default_rng(0).standard_normal((images, 3, SIZE, SIZE), dtype=np.float32, chunks=(32, 3, SIZE, SIZE))
        dask_cluster.explain_array(client, graph, data[:64], targets[:64])  # sessions made, workers warm
        start = time.perf_counter()
        dask_cluster.explain_array(client, graph, data, targets)
        return images / (time.perf_counter() - start)


def ray_throughput(graph, images, targets):
    """Images per second on a local Ray instance, 2 CPUs, 2 actors of map_batches (None when Ray's
    node does not start: see ray_cluster.start_local)."""
    import ray

    from jupyterlab_gradcam.run import ray_cluster

    try:
        ray_cluster.start_local(num_cpus=2, object_store_mb=1024)
    except Exception as err:  # Ray raises a bare Exception when its node does not come up
        print(f"Ray did not start (load {os.getloadavg()[0]:.1f}): {err}", flush=True)
        ray.shutdown()
        return None
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        data = next(batches(images, images, seed=2))
        ray_cluster.explain_dataset(graph, data[:64], targets[:64], batch_size=32)  # actors warm
        start = time.perf_counter()
        ray_cluster.explain_dataset(graph, data, targets, batch_size=32, concurrency=2)
        return images / (time.perf_counter() - start)
    finally:
        ray.shutdown()


RAY = False  # set from --ray


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="mobilenet_v3_small,resnet18")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ray", action="store_true", help="also on a local Ray instance (2 actors)")
    args = parser.parse_args()
    global THREADS, RAY
    THREADS = args.threads
    RAY = args.ray
    print(
        f"onnxruntime {ort.__version__}, torch {torch.__version__}, {THREADS} threads, {SIZE}x{SIZE}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            row = bench_model(name, args.images, args.runs, Path(tmp))
            print(json.dumps(row), flush=True)
            print(
                f"{name}: forward {row['forward_ms']:.1f} ms, explain {row['explain_ms']:.1f} ms "
                f"({row['explain_over_forward']:.2f}x), explain+display {row['explain_and_display_ms']:.1f} ms vs "
                f"pytorch-grad-cam {row['pytorch_grad_cam_ms']:.1f} ms ({row['explain_and_display_over_pytorch_grad_cam']:.2f}x); "
                f"{args.images} images: forward {row['forward_images_per_s_kernel']:.0f}/s, explain in the kernel "
                f"{row['explain_images_per_s_kernel']:.0f}/s, on 2 Dask workers {row['explain_images_per_s_dask_2_workers']:.0f}/s"
                + (f", on 2 Ray actors {row['explain_images_per_s_ray_2_actors']:.0f}/s" if row["explain_images_per_s_ray_2_actors"] else "")
                + f" (load average {row['load_average']:.1f})",
                flush=True,
            )


if __name__ == "__main__":
    main()
