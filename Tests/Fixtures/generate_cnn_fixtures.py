#!/usr/bin/env python3
"""Writes the CNN-layer reference fixtures: JSON for ConvolveCoreTests, tiny .npy files for ConvolveFormatsTests.

Every expected output is computed by onnxruntime (CPUExecutionProvider, graph optimizations off, one thread)
on a one-node ONNX graph built with the case's parameters, so the reference is an independent implementation
rather than our own reading of PyTorch's formulas:

  cnn_conv.json        Conv            pads [top, left, bottom, right], strides, dilations, group, bias
  cnn_pooling.json     MaxPool / AveragePool (count_include_pad=1, ceil_mode) and, for 'min', -MaxPool(-x)
  cnn_resize.json      Resize (opset 13): 'nearest' = asymmetric + floor (PyTorch's legacy 'nearest');
                       'bilinear' = linear + half_pixel (PyTorch's align_corners=False; see resize_cases)
  cnn_transposed.json  ConvTranspose   strides, pads, output_padding, dilations, group, bias

Inputs are drawn exactly as before (same seed, same draw order), so the cases and their inputs are unchanged;
they are stored as float64 but the graphs run in float32 on the float32-rounded values, which is what the
Swift tests see. Expected values are written as the shortest decimal that round-trips in float32.

Needs numpy and onnxruntime (onnx for the graphs). Run from anywhere:
    python3 Tests/Fixtures/generate_cnn_fixtures.py
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
CORE = HERE
FORMATS = HERE
rng = np.random.default_rng(20241125)
OPSET = 13


def arr(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.ravel()]}


def arr32(a):
    """A float32 result, each value as the shortest decimal that reads back as the same float32."""
    a = np.asarray(a, dtype=np.float32)
    return {"shape": list(a.shape), "data": [float(str(v)) for v in a.ravel()]}


def run_graph(nodes, x, initializers=()):
    """Runs nodes reading 'x' ([1, C, H, W] float32) and writing 'y'; returns y[0] ([C, H', W'])."""
    x = np.asarray(x, dtype=np.float32)[None]
    graph = helper.make_graph(
        nodes, "case", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * 4)], list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                              producer_name="generate_cnn_fixtures.py")
    onnx.checker.check_model(model, full_check=True)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    (y,) = session.run(["y"], {"x": x})
    assert y.dtype == np.float32 and y.shape[0] == 1, y.shape
    return y[0]


def f32(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def i64(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.int64), name)


def onnx_conv(x, w, b, stride, pad, dil, groups):
    # JSON padding is (top, bottom, left, right); ONNX pads are (top, left, bottom, right).
    t, bo, l, r = pad
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=list(w.shape[2:]), strides=list(stride),
                            pads=[t, l, bo, r], dilations=list(dil), group=groups)
    return run_graph([node], x, [f32("w", w), f32("b", b)])


def conv_cases():
    cases = []
    specs = [
        # C, N, H, W, kh, kw, stride, padding (t, b, l, r), dilation, groups
        (3, 4, 7, 9, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
        (2, 3, 8, 6, 2, 3, (2, 1), (0, 0, 1, 1), (1, 1), 1),
        (4, 4, 9, 9, 3, 3, (2, 2), (1, 1, 1, 1), (2, 2), 2),
        (3, 6, 6, 7, 3, 2, (1, 1), (1, 1, 0, 1), (1, 1), 3),
        (5, 2, 5, 5, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),
        (2, 2, 9, 8, 3, 2, (1, 1), (1, 1, 0, 0), (2, 1), 1),
    ]
    for (c, n, h, w_, kh, kw, s, p, d, g) in specs:
        x = rng.uniform(-1, 1, (c, h, w_))
        w = rng.uniform(-1, 1, (n, c // g, kh, kw))
        b = rng.uniform(-1, 1, n)
        y = onnx_conv(x, w, b, s, p, d, g)
        cases.append({"input": arr(x), "weights": arr(w), "bias": [float(v) for v in b], "stride": list(s),
                      "padding": list(p), "dilation": list(d), "groups": g, "expected": arr32(y)})
    return cases


def onnx_pool(x, kind, k, s, p, ceil):
    """PyTorch max_pool2d / avg_pool2d(count_include_pad=True) with symmetric padding p and ceil_mode.

    ONNX has no min pool: 'min' is computed as -MaxPool(-x) (padding never wins either way, as in PyTorch).
    onnxruntime's ceil_mode follows PyTorch: a last window that would start in the right/bottom padding is
    dropped, and with count_include_pad=1 the divisor is the window clipped to the padded input (a window
    hanging past the padding in ceil mode is not divided by the full kernel area).
    """
    attrs = dict(kernel_shape=list(k), strides=list(s), pads=[p, p, p, p], ceil_mode=int(ceil))
    if kind == "max":
        nodes = [helper.make_node("MaxPool", ["x"], ["y"], **attrs)]
    elif kind == "average":
        nodes = [helper.make_node("AveragePool", ["x"], ["y"], count_include_pad=1, **attrs)]
    elif kind == "min":
        nodes = [helper.make_node("Neg", ["x"], ["negx"]), helper.make_node("MaxPool", ["negx"], ["negy"], **attrs),
                 helper.make_node("Neg", ["negy"], ["y"])]
    else:
        raise ValueError(kind)
    return run_graph(nodes, x)


def pooling_cases():
    lecture = np.array([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]], float)
    cases = []
    for kind in ("max", "average", "min"):
        cases.append({"name": "lecture", "input": arr(lecture[None]), "kind": kind, "kernel": [3, 3],
                      "stride": [1, 1], "padding": 0, "ceil": False,
                      "expected": arr32(onnx_pool(lecture[None], kind, (3, 3), (1, 1), 0, False))})
    x = rng.uniform(-1, 1, (2, 7, 8))
    for kind in ("max", "average", "min"):
        for (k, s, p, ceil) in [((2, 2), (2, 2), 0, False), ((3, 3), (2, 2), 1, False), ((3, 2), (2, 2), 1, True),
                                ((2, 2), (2, 2), 0, True)]:
            y = onnx_pool(x, kind, k, s, p, ceil)
            cases.append({"name": f"random-{kind}-{k}-{s}-{p}-{ceil}", "input": arr(x), "kind": kind, "kernel": list(k),
                          "stride": list(s), "padding": p, "ceil": ceil, "expected": arr32(y)})
    return cases


def onnx_resize(x, out_h, out_w, factor, method):
    """Resize (opset 13) to out_h x out_w: by `scales` when factor is given (as F.interpolate(scale_factor=...)
    without recompute_scale_factor, whose source index uses 1/factor, as ONNX does), else by `sizes`.

    'nearest'  -> mode nearest, coordinate_transformation_mode asymmetric, nearest_mode floor:
                  src = floor(dst / scale), clamped to the last sample (PyTorch's mode='nearest').
    'bilinear' -> mode linear, coordinate_transformation_mode half_pixel: src = (dst + 0.5) / scale - 0.5,
                  with source coordinates clamped to [0, n - 1] (PyTorch's align_corners=False). half_pixel,
                  not pytorch_half_pixel: the latter maps a length-1 output to source 0, whereas PyTorch's
                  current kernels use the half-pixel formula there too (the scale 0.5 case has 1 output row).
    """
    c = x.shape[0]
    if method == "nearest":
        attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    else:
        attrs = dict(mode="linear", coordinate_transformation_mode="half_pixel")
    if factor is not None:
        node = helper.make_node("Resize", ["x", "", "scales"], ["y"], **attrs)
        init = [f32("scales", [1, 1, factor, factor])]
    else:
        node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], **attrs)
        init = [i64("sizes", [1, c, out_h, out_w])]
    y = run_graph([node], x, init)
    assert y.shape == (c, out_h, out_w), (y.shape, out_h, out_w)
    return y


def resize_cases():
    cases = []
    x = rng.uniform(0, 1, (2, 3, 4)).astype(np.float32)
    for method in ("nearest", "bilinear"):
        for factor in (2.0, 3.0, 1.5, 0.5):
            oh, ow = int(np.floor(3 * factor)), int(np.floor(4 * factor))
            cases.append({"input": arr(x), "method": method, "scale": factor, "size": None,
                          "expected": arr32(onnx_resize(x, oh, ow, factor, method))})
        for (oh, ow) in ((5, 7), (2, 3)):
            cases.append({"input": arr(x), "method": method, "scale": None, "size": [oh, ow],
                          "expected": arr32(onnx_resize(x, oh, ow, None, method))})
    return cases


def onnx_transposed(x, w, b, s, p, op, d, groups):
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], kernel_shape=list(w.shape[2:]), strides=[s, s],
                            pads=[p, p, p, p], output_padding=[op, op], dilations=[d, d], group=groups)
    return run_graph([node], x, [f32("w", w), f32("b", b)])


def transposed_cases():
    cases = []
    for (cin, cout, h, w_, k, s, p, op, d, g) in [(2, 3, 3, 4, 3, 2, 1, 1, 1, 1), (4, 2, 4, 3, 2, 3, 0, 2, 1, 2),
                                                 (1, 2, 3, 3, 3, 1, 2, 0, 2, 1)]:
        x = rng.uniform(-1, 1, (cin, h, w_))
        w = rng.uniform(-1, 1, (cin, cout // g, k, k))
        b = rng.uniform(-1, 1, cout)
        cases.append({"input": arr(x), "weights": arr(w), "bias": [float(v) for v in b], "stride": s, "padding": p,
                      "outputPadding": op, "dilation": d, "groups": g,
                      "expected": arr32(onnx_transposed(x, w, b, s, p, op, d, g))})
    return cases


def write_json(name, value):
    with open(os.path.join(CORE, name), "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")


def write_npy_fixtures():
    f4 = np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, -7.0]], dtype="<f4")
    np.save(os.path.join(FORMATS, "f4_2x3.npy"), f4)
    np.save(os.path.join(FORMATS, "f8_2x2x2.npy"), np.arange(8, dtype="<f8").reshape(2, 2, 2) / 4 - 0.5)
    np.save(os.path.join(FORMATS, "u1_4.npy"), np.array([0, 1, 128, 255], dtype="u1"))
    np.save(os.path.join(FORMATS, "i4_2x2.npy"), np.array([[-3, 0], [7, 100000]], dtype="<i4"))
    np.save(os.path.join(FORMATS, "weights_2x3x1x2.npy"), np.arange(12, dtype="<f4").reshape(2, 3, 1, 2))
    np.save(os.path.join(FORMATS, "bias_2.npy"), np.array([0.5, -0.5], dtype="<f4"))
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(FORMATS, f"v{version[0]}_f4_2x3.npy"), "wb") as f:
            np.lib.format.write_array(f, f4, version=version)
    np.save(os.path.join(FORMATS, "fortran_f4_2x3.npy"), np.asfortranarray(f4))
    np.save(os.path.join(FORMATS, "bigendian_f4_2x3.npy"), f4.astype(">f4"))
    np.save(os.path.join(FORMATS, "complex_c8_2.npy"), np.array([1 + 2j, 3 - 1j], dtype="<c8"))
    with open(os.path.join(FORMATS, "f4_2x3.npy"), "rb") as f:
        whole = f.read()
    with open(os.path.join(FORMATS, "truncated_f4_2x3.npy"), "wb") as f:
        f.write(whole[:-5])


if __name__ == "__main__":
    os.makedirs(CORE, exist_ok=True)
    os.makedirs(FORMATS, exist_ok=True)
    # The order matters: the cases share one random generator.
    write_json("cnn_conv.json", conv_cases())
    write_json("cnn_pooling.json", pooling_cases())
    write_json("cnn_resize.json", resize_cases())
    write_json("cnn_transposed.json", transposed_cases())
    write_npy_fixtures()
