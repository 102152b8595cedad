"""In-process peer timings for Benchmarks/run.sh: prints `case<TAB>peer<TAB>median ms<TAB>best ms` per row.

Usage: python3 peers.py IMAGE.png IMAGE.jpg [repeats]. Threads are capped at the machine's cores for every library.
       python3 peers.py --model MODEL.onnx INPUT.npy [repeats] [CASE...]: onnxruntime's session.run on the model
       alone in this process, one line per CASE name (default `model`) with a fifth column, the process's peak
       resident memory in MB.
"""
import io
import os
import resource
import statistics
import sys
import time

import numpy as np

if sys.argv[1] == "--model":
    import onnxruntime as ort

    model, x = sys.argv[2], np.load(sys.argv[3])
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 7
    cases = sys.argv[5:] or ["model"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    session.run(None, feed)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        session.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    for case in cases:
        print(f"{case}\tonnxruntime session.run\t{statistics.median(times):.2f}\t{min(times):.2f}\t{peak:.1f}", flush=True)
    sys.exit(0)

png, jpg = sys.argv[1], sys.argv[2]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 7
cores = os.cpu_count() or 1
rng = np.random.default_rng(7)


def timed(case, peer, fn, n=repeats):
    try:
        fn()  # warm-up
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        print(f"{case}\t{peer}\t{statistics.median(times):.2f}\t{min(times):.2f}", flush=True)
    except Exception as e:  # a missing peer leaves its row empty rather than stopping the run
        print(f"# {case} {peer}: {e}", file=sys.stderr)


def gaussian_size(sigma):
    return 2 * int(np.ceil(3 * sigma)) + 1


# Float32 RGB 4000x3000 in [0, 1], interleaved as OpenCV keeps it (convolve's is planar).
image = rng.random((3000, 4000, 3), dtype=np.float32)
k3 = (rng.uniform(-1, 1, (3, 3)) / 3).astype(np.float32)
k5 = (rng.uniform(-1, 1, (5, 5)) / 5).astype(np.float32)
k31 = (rng.uniform(-1, 1, (31, 31)) / 31).astype(np.float32)

try:
    import cv2

    cv2.setNumThreads(cores)
    rep = cv2.BORDER_REPLICATE
    timed("conv3x3", "OpenCV filter2D", lambda: cv2.filter2D(image, -1, k3, borderType=rep))
    timed("conv5x5", "OpenCV filter2D", lambda: cv2.filter2D(image, -1, k5, borderType=rep))
    for s, name in [(2, "gauss2"), (10, "gauss10")]:
        n = gaussian_size(s)
        timed(name, "OpenCV GaussianBlur", lambda n=n, s=s: cv2.GaussianBlur(image, (n, n), s, borderType=rep))
    timed("conv31", "OpenCV filter2D", lambda: cv2.filter2D(image, -1, k31, borderType=rep), n=3)
except ImportError as e:
    print(f"# OpenCV: {e}", file=sys.stderr)

try:
    from PIL import Image, ImageFilter

    rgb = Image.open(png).convert("RGB")
    rgb.load()
    # Pillow's Kernel filter takes 3x3 or 5x5 on 8-bit images only.
    f3 = ImageFilter.Kernel((3, 3), k3.ravel().tolist(), scale=1)
    f5 = ImageFilter.Kernel((5, 5), k5.ravel().tolist(), scale=1)
    timed("conv3x3", "Pillow Kernel (uint8)", lambda: rgb.filter(f3))
    timed("conv5x5", "Pillow Kernel (uint8)", lambda: rgb.filter(f5))

    def pil_jpeg():
        im = Image.open(jpg)
        im.load()
        im.save(io.BytesIO(), "JPEG", quality=90)

    timed("jpeg", "Pillow open+save", pil_jpeg)
except ImportError as e:
    print(f"# Pillow: {e}", file=sys.stderr)


def onnx_session(node, inputs, outputs, initializers):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    import onnxruntime as ort

    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        [numpy_helper.from_array(a, n) for n, a in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.intra_op_num_threads = cores
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


try:
    from onnx import helper

    for case, c, n, size in [("layer3to64", 3, 64, 1024), ("layer64to64", 64, 64, 256)]:
        x = rng.random((1, c, size, size), dtype=np.float32)
        w = rng.uniform(-1, 1, (n, c, 3, 3)).astype(np.float32)
        b = rng.uniform(-1, 1, n).astype(np.float32)
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], kernel_shape=[3, 3])
        s = onnx_session(node, [("x", x.shape)], ["y"], {"w": w, "b": b})
        timed(case, "onnxruntime Conv", lambda s=s, x=x: s.run(None, {"x": x}))
    # depthwise 3x3, pointwise 1x1, 3x3 stride 2: (case, C, N, size, kernel, stride, group)
    for case, c, n, size, k, st, g in [("depthwise64@256", 64, 64, 256, 3, 1, 64),
                                       ("pointwise64to128@256", 64, 128, 256, 1, 1, 1),
                                       ("stride2-32to64@512", 32, 64, 512, 3, 2, 1)]:
        x = rng.random((1, c, size, size), dtype=np.float32)
        w = rng.uniform(-1, 1, (n, c // g, k, k)).astype(np.float32)
        b = rng.uniform(-1, 1, n).astype(np.float32)
        p = k // 2
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[p] * 4, kernel_shape=[k, k],
                                strides=[st, st], group=g)
        s = onnx_session(node, [("x", x.shape)], ["y"], {"w": w, "b": b})
        timed(case, "onnxruntime Conv", lambda s=s, x=x: s.run(None, {"x": x}))
    x = np.ascontiguousarray(image.transpose(2, 0, 1)[None])
    node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2])
    s = onnx_session(node, [("x", x.shape)], ["y"], {})
    timed("maxpool2", "onnxruntime MaxPool", lambda: s.run(None, {"x": x}))
except ImportError:
    try:  # PyTorch on CPU when onnxruntime is not there
        import torch

        torch.set_num_threads(cores)
        for case, c, n, size in [("layer3to64", 3, 64, 1024), ("layer64to64", 64, 64, 256)]:
            x, w, b = torch.rand(1, c, size, size), torch.rand(n, c, 3, 3), torch.rand(n)
            timed(case, "torch conv2d", lambda x=x, w=w, b=b: torch.nn.functional.conv2d(x, w, b, padding=1))
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)[None]))
        timed("maxpool2", "torch max_pool2d", lambda: torch.nn.functional.max_pool2d(x, 2))
    except ImportError as e:
        print(f"# no onnxruntime or torch: {e}", file=sys.stderr)
