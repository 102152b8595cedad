#!/usr/bin/env python3
"""Writes ONNX operator fixtures for the ONNX graph executor: Tests/Fixtures/onnx/.

For every case NAME:
  NAME.onnx                     a small graph built with onnx.helper (random weights, fixed seed per case)
  NAME.input.npy                the float32 input (several graph inputs: NAME.input0.npy, NAME.input1.npy, ...)
  NAME.output.npy               the float32 output computed by onnxruntime (several: NAME.output0.npy, ...)
and one manifest.json listing, per case: ops, opset, IR version, input/output names, shapes and files,
how each initializer is stored, and a short description of the variant.

Expected outputs come from onnxruntime (CPUExecutionProvider, graph optimizations disabled, one thread) run on
the exact bytes written to NAME.onnx. Each model passes onnx.checker.check_model (full_check where ONNX's
own shape inference agrees with onnxruntime; see "notes" in the manifest where it does not). As a second
opinion every case is also run through onnx.reference.ReferenceEvaluator; the manifest records
"onnx_reference": "match" or how it differs (informational: the fixture is onnxruntime's result).

Initializers are stored in a mix of ways, so a loader has to handle them all: most float32 as raw_data, some
in float_data; some float16 (raw_data, or int32_data bit patterns) and float64 (double_data or raw_data)
followed by a Cast to float; int64 shapes/axes/pads as raw_data or int64_data; some values come from
Constant nodes (value tensor, value_ints, value_float). The manifest's "initializers" field says which.

Deterministic: the same bytes on every run (for a given onnx/onnxruntime/numpy version).
Needs numpy, onnx and onnxruntime:  python3 Tests/Fixtures/generate_onnx_fixtures.py
"""
import json
import os
import sys
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper, shape_inference
from onnx.reference import ReferenceEvaluator

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx")
IR_VERSION = 8  # what torch.onnx.export writes for opset 17; accepted with every opset used here
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min
F32 = TensorProto.FLOAT

MANIFEST = []


def storage_of(t):
    """Which TensorProto field holds an initializer's values."""
    dtype = helper.tensor_dtype_to_np_dtype(t.data_type).name
    for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data"):
        if len(getattr(t, field)):
            return dtype, field
    return dtype, "empty"


class Case:
    """One graph under construction. Random values come from a generator seeded by the case name."""

    def __init__(self, name, opset, description):
        self.name, self.opset, self.description = name, opset, description
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes, self.initializers, self.inputs, self.outputs, self.notes = [], [], [], [], []
        self.counter = 0

    # Values -----------------------------------------------------------------------------------------------
    def rand(self, shape, low=-1.0, high=1.0):
        return self.rng.uniform(low, high, shape)

    def input(self, name, shape, low=-1.0, high=1.0, data=None):
        a = np.asarray(self.rand(shape, low, high) if data is None else data, dtype=np.float32)
        self.inputs.append((name, a))
        return name

    def weight(self, name, a, storage="raw"):
        """A float tensor for the graph. float16/float64 storages add a Cast to float; returns the name to use."""
        a = np.asarray(a)
        if storage == "raw":
            self.initializers.append(numpy_helper.from_array(a.astype(np.float32), name))
            return name
        if storage == "float_data":
            self.initializers.append(helper.make_tensor(name, F32, a.shape, a.astype(np.float32).ravel().tolist()))
            return name
        stored = name + "_stored"
        if storage == "float16_raw":
            t = numpy_helper.from_array(a.astype(np.float16), stored)
        elif storage == "float16_int32_data":
            t = helper.make_tensor(stored, TensorProto.FLOAT16, a.shape, a.astype(np.float16).ravel())
        elif storage == "float64_double_data":
            t = helper.make_tensor(stored, TensorProto.DOUBLE, a.shape, a.astype(np.float64).ravel().tolist())
        elif storage == "float64_raw":
            t = numpy_helper.from_array(a.astype(np.float64), stored)
        else:
            raise ValueError(storage)
        self.initializers.append(t)
        self.node("Cast", [stored], [name], to=F32)
        return name

    def ints(self, name, values, storage="raw"):
        a = np.asarray(values, dtype=np.int64)
        if storage == "raw":
            self.initializers.append(numpy_helper.from_array(a, name))
        elif storage == "int64_data":
            self.initializers.append(helper.make_tensor(name, TensorProto.INT64, a.shape, a.ravel().tolist()))
        else:
            raise ValueError(storage)
        return name

    def constant(self, name, value=None, **attr):
        """A Constant node: `value` as a tensor attribute, or e.g. value_ints=[...] / value_float=x."""
        if value is not None:
            attr["value"] = numpy_helper.from_array(np.asarray(value), name + "_value")
        self.node("Constant", [], [name], **attr)
        return name

    # Nodes ------------------------------------------------------------------------------------------------
    def node(self, op, inputs, outputs=None, **attrs):
        self.counter += 1
        if outputs is None:
            outputs = [f"{op.lower()}_{self.counter}"]
        elif isinstance(outputs, int):
            outputs = [f"{op.lower()}_{self.counter}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), list(outputs), name=f"{op}_{self.counter}", **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def output(self, *names):
        self.outputs.extend(names)

    # Building, running, writing ---------------------------------------------------------------------------
    def model(self, output_shapes):
        inputs = [helper.make_tensor_value_info(n, F32, list(a.shape)) for n, a in self.inputs]
        outputs = [helper.make_tensor_value_info(n, F32, s) for n, s in zip(self.outputs, output_shapes)]
        graph = helper.make_graph(self.nodes, self.name, inputs, outputs, self.initializers)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], ir_version=IR_VERSION,
                                 producer_name="convolve generate_onnx_fixtures.py")

    def feeds(self):
        return {n: a for n, a in self.inputs}

    def run_ort(self, data):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # shape-inference disagreements are reported in the manifest instead
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        return session.run(self.outputs, self.feeds())

    def finish(self, check=None):
        """Runs, validates and writes the case. `check(feeds, initializers)` may return NumPy expectations to compare
        onnxruntime's outputs with (used where onnx.reference cannot serve as the second opinion)."""
        name = self.name
        # Pass 1: output shapes unknown; onnxruntime says what they are, ONNX shape inference says what it thinks.
        probe = self.model([None] * len(self.outputs))
        results = self.run_ort(probe.SerializeToString())
        for o, r in zip(self.outputs, results):
            assert r.dtype == np.float32, f"{name}: output {o} is {r.dtype}"
        inferred = shape_inference.infer_shapes(probe).graph.output
        for o, r in zip(inferred, results):
            if o.type.tensor_type.HasField("shape"):
                dims = [d.dim_value if d.HasField("dim_value") else None for d in o.type.tensor_type.shape.dim]
                if len(dims) != r.ndim or any(d is not None and d != n for d, n in zip(dims, r.shape)):
                    self.notes.append(f"ONNX shape inference (opset {self.opset}) gives {o.name} shape {dims}; "
                                      f"onnxruntime computes {list(r.shape)} (the fixture follows onnxruntime; "
                                      "check_model(full_check=True) therefore fails, the basic check passes)")
        # Pass 2: the model as written, outputs declared with onnxruntime's shapes.
        model = self.model([list(r.shape) for r in results])
        try:
            onnx.checker.check_model(model, full_check=True)
        except (onnx.checker.ValidationError, shape_inference.InferenceError):
            if not self.notes:
                raise
            onnx.checker.check_model(model)  # only the shape disagreement noted above may fail the full check
        data = model.SerializeToString()
        again = self.run_ort(data)
        assert all(np.array_equal(a, b) for a, b in zip(results, again)), name
        reference = self.reference_check(model, results)
        if check is not None:
            inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in self.initializers}
            feeds = {n: a.astype(np.float64) for n, a in self.inputs}
            worst = max(float(np.max(np.abs(a - e))) for a, e in zip(results, check(feeds, inits)))
            assert worst < 1e-5, f"{name}: onnxruntime vs NumPy check differs by {worst}"
            self.notes.append(f"onnxruntime's output agrees with a NumPy implementation of the spec (max abs diff "
                              f"{worst:.2g}), checked when generating")

        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(data)

        def files(kind, count):
            return [f"{name}.{kind}.npy"] if count == 1 else [f"{name}.{kind}{i}.npy" for i in range(count)]

        input_files, output_files = files("input", len(self.inputs)), files("output", len(self.outputs))
        for fname, (_, a) in zip(input_files, self.inputs):
            np.save(os.path.join(OUT, fname), a)
        for fname, a in zip(output_files, results):
            np.save(os.path.join(OUT, fname), a)
        ops = []
        for n in self.nodes:
            if n.op_type not in ops:
                ops.append(n.op_type)
        if self.opset < 7:
            self.notes.append(f"onnxruntime warns that it only guarantees opset >= 7, but runs this opset {self.opset} model")
        entry = {
            "name": name, "ops": ops, "opset": self.opset, "ir_version": IR_VERSION, "description": self.description,
            "model": name + ".onnx",
            "inputs": [{"name": n, "shape": list(a.shape), "dtype": "float32", "file": f}
                       for (n, a), f in zip(self.inputs, input_files)],
            "outputs": [{"name": n, "shape": list(a.shape), "dtype": "float32", "file": f}
                        for n, a, f in zip(self.outputs, results, output_files)],
            "initializers": [dict(zip(("name", "dtype", "storage"), (t.name,) + storage_of(t)), shape=list(t.dims))
                             for t in self.initializers],
            "onnx_reference": reference,
        }
        constants = [{"name": n.output[0], "attribute": a.name,
                      "dtype": helper.tensor_dtype_to_np_dtype(a.t.data_type).name if a.name == "value" else a.name[6:],
                      "storage": storage_of(a.t)[1] if a.name == "value" else "attribute"}
                     for n in self.nodes if n.op_type == "Constant" for a in n.attribute]
        if constants:
            entry["constant_nodes"] = constants
        if self.notes:
            entry["notes"] = self.notes
        MANIFEST.append(entry)
        shapes = lambda xs: ",".join("x".join(map(str, a.shape)) or "scalar" for a in xs)
        print(f"{name:52s} opset {self.opset:2d}  {'+'.join(ops):40s} {shapes(a for _, a in self.inputs)} -> "
              f"{shapes(results)}  onnx.reference: {reference}{'  (NumPy check ok)' if check else ''}")

    def reference_check(self, model, results):
        try:
            with np.errstate(all="ignore"):  # the float16 Cast case overflows on purpose
                got = ReferenceEvaluator(model).run(self.outputs, self.feeds())
        except Exception as e:  # noqa: BLE001 - recorded, not fatal
            return f"error: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
        worst = 0.0
        for a, b in zip(results, got):
            b = np.asarray(b)
            if a.shape != b.shape:
                return f"differs: shape {list(b.shape)} vs onnxruntime {list(a.shape)}"
            if not np.array_equal(np.isfinite(a), np.isfinite(b)) or not np.array_equal(a[~np.isfinite(a)], b[~np.isfinite(b)]):
                return "differs: non-finite values differ"
            finite = np.isfinite(a)
            if finite.any():
                a64, b64 = a[finite].astype(np.float64), b[finite].astype(np.float64)
                worst = max(worst, float(np.max(np.abs(a64 - b64) / np.maximum(1, np.abs(a64)))))
        return "match" if worst <= 1e-5 else f"differs: max relative diff {worst:.3g}"


# ---------------------------------------------------------------------------------------------------------------
# NumPy versions of a few ops, straight from the ONNX spec, for the cases where onnx.reference fails or is wrong
# (its BatchNormalization-9 uses batch statistics, its Softmax ignores the opset < 13 2-D coercion, it rejects
# negative Pad pads and ConvTranspose with output_shape or group > 1).

def np_conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), group=1):
    """Conv, NCHW, batch 1, no dilation; pads (top, left, bottom, right)."""
    x = np.pad(x[0], ((0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, cg, kh, kw = w.shape
    oh, ow = (x.shape[1] - kh) // strides[0] + 1, (x.shape[2] - kw) // strides[1] + 1
    y = np.zeros((n, oh, ow))
    for o in range(n):
        g = o // (n // group)
        for i in range(kh):
            for j in range(kw):
                patch = x[g * cg:(g + 1) * cg, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
                y[o] += np.tensordot(w[o, :, i, j], patch, axes=1)
    return (y + (0 if b is None else b[:, None, None]))[None]


def np_conv_transpose(x, w, b, strides, pads, dilations=(1, 1), group=1):
    """ConvTranspose, NCHW, batch 1: scatter every input sample, then crop pads (top, left, bottom, right)."""
    cin, h, wd = x[0].shape
    ng, kh, kw = w.shape[1:]
    (s0, s1), (d0, d1) = strides, dilations
    full = np.zeros((ng * group, s0 * (h - 1) + d0 * (kh - 1) + 1, s1 * (wd - 1) + d1 * (kw - 1) + 1))
    for c in range(cin):
        g = c // (cin // group)
        for iy in range(h):
            for ix in range(wd):
                full[g * ng:(g + 1) * ng, iy * s0:iy * s0 + d0 * (kh - 1) + 1:d0,
                     ix * s1:ix * s1 + d1 * (kw - 1) + 1:d1] += x[0, c, iy, ix] * w[c]
    t, l, bo, r = pads
    return (full[:, t:full.shape[1] - bo, l:full.shape[2] - r] + b[:, None, None])[None]


def np_batchnorm(x, p, eps=1e-5):
    r = lambda v: v.reshape(1, -1, 1, 1)
    return r(p["scale"]) * (x - r(p["mean"])) / np.sqrt(r(p["var"]) + eps) + r(p["bias"])


REFERENCE_BN9 = "onnx.reference's BatchNormalization-9 uses batch statistics (it reads the momentum default as training)"

# ---------------------------------------------------------------------------------------------------------------
# Cases. X is the default input shape (NCHW, batch 1).
X = (1, 3, 9, 11)


def conv(name, desc, x=X, n=4, k=(3, 3), bias=True, opset=13, wstore="raw", bstore="raw", give_kernel=True, **attrs):
    c = Case(name, opset, desc)
    group = attrs.get("group", 1)
    xi = c.input("x", x)
    w = c.weight("W", c.rand((n, x[1] // group) + tuple(k), -0.5, 0.5), wstore)
    ins = [xi, w]
    if bias:
        ins.append(c.weight("B", c.rand((n,)), bstore))
    if give_kernel:
        attrs["kernel_shape"] = list(k)
    c.output(c.node("Conv", ins, ["y"], **attrs))
    c.finish()


def conv_cases():
    conv("conv_3x3_pads1_bias", "Conv 3x3, pads 1, bias, weights raw_data", pads=[1, 1, 1, 1])
    conv("conv_3x3_nobias_float_data", "Conv 3x3 without bias, no pads, kernel_shape omitted (from W), W in float_data",
         bias=False, wstore="float_data", give_kernel=False)
    conv("conv_stride2_pads1", "Conv 3x3, strides 2, pads 1", n=6, strides=[2, 2], pads=[1, 1, 1, 1])
    conv("conv_stride2x1_kernel3x2", "Conv 3x2 kernel, strides [2,1], pads [1,0,1,1]", k=(3, 2), strides=[2, 1],
         pads=[1, 0, 1, 1])
    conv("conv_dilations2x3", "Conv 3x3, dilations [2,3], pads [2,3,2,3]", dilations=[2, 3], pads=[2, 3, 2, 3])
    conv("conv_asymmetric_pads", "Conv 3x3, explicit asymmetric pads [top 0, left 1, bottom 2, right 0]",
         pads=[0, 1, 2, 0])
    conv("conv_group2", "Conv group 2 (4 in, 6 out channels), pads 1", x=(1, 4, 9, 11), n=6, group=2, pads=[1, 1, 1, 1])
    conv("conv_depthwise", "depthwise Conv 3x3: group = C = 4, W [4,1,3,3], pads 1", x=(1, 4, 9, 11), n=4, group=4,
         pads=[1, 1, 1, 1])
    conv("conv_depthwise_multiplier2_stride2", "depthwise Conv with channel multiplier 2: group 4, W [8,1,3,3], strides 2",
         x=(1, 4, 9, 11), n=8, group=4, strides=[2, 2], pads=[1, 1, 1, 1])
    conv("conv_autopad_same_upper_k4_s2", "Conv 4x4 strides 2 auto_pad SAME_UPPER: total pad 3 per axis, extra at the end",
         k=(4, 4), strides=[2, 2], auto_pad="SAME_UPPER")
    conv("conv_autopad_same_lower_k4_s2", "Conv 4x4 strides 2 auto_pad SAME_LOWER: total pad 3 per axis, extra at the start",
         k=(4, 4), strides=[2, 2], auto_pad="SAME_LOWER")
    conv("conv_autopad_same_lower_k2", "Conv 2x2 strides 1 auto_pad SAME_LOWER (pad 1 at the start only)", k=(2, 2),
         auto_pad="SAME_LOWER")
    conv("conv_autopad_valid_s2", "Conv 3x3 strides 2 auto_pad VALID", strides=[2, 2], auto_pad="VALID")
    conv("conv_1x1_bias_float_data", "pointwise Conv 1x1 (3 -> 5), bias in float_data", n=5, k=(1, 1), bstore="float_data")
    conv("conv_weights_float16", "Conv whose W (raw_data) and B (int32_data bit patterns) are float16, Cast to float",
         wstore="float16_raw", bstore="float16_int32_data", pads=[1, 1, 1, 1])
    conv("conv_weights_float64", "Conv whose W (double_data) and B (raw_data) are float64, Cast to float",
         wstore="float64_double_data", bstore="float64_raw", pads=[1, 1, 1, 1])
    conv("conv_opset11", "Conv 3x3 strides 2 pads 1 at opset 11", opset=11, strides=[2, 2], pads=[1, 1, 1, 1])


def conv_transpose(name, desc, x=(1, 3, 5, 6), n=2, k=(3, 3), bias=True, opset=13, check=None, **attrs):
    c = Case(name, opset, desc)
    group = attrs.get("group", 1)
    xi = c.input("x", x)
    ins = [xi, c.weight("W", c.rand((x[1], n // group) + tuple(k), -0.5, 0.5))]
    if bias:
        ins.append(c.weight("B", c.rand((n,))))
    c.output(c.node("ConvTranspose", ins, ["y"], kernel_shape=list(k), **attrs))
    c.finish(check)


def conv_transpose_cases():
    conv_transpose("convtranspose_stride2_pads1_outpad1", "ConvTranspose 3x3 strides 2 pads 1 output_padding 1 (exact x2)",
                   x=(1, 4, 5, 6), n=3, strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    conv_transpose("convtranspose_basic_nobias", "ConvTranspose 3x3 strides 1, no pads, no bias", bias=False)
    conv_transpose("convtranspose_output_shape", "ConvTranspose strides 2 with output_shape [10,12]: pads derived "
                   "(total padding 1 per axis, odd: it goes at the start, pads [1,1,0,0], as the spec says for "
                   "auto_pad NOTSET)", strides=[2, 2], output_shape=[10, 12],
                   check=lambda f, p: [np_conv_transpose(f["x"], p["W"], p["B"], (2, 2), (1, 1, 0, 0))])
    conv_transpose("convtranspose_group2_dilations2", "ConvTranspose group 2 (4 -> 4 channels), dilations 2, strides 2, pads 1",
                   x=(1, 4, 5, 5), n=4, group=2, dilations=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1],
                   check=lambda f, p: [np_conv_transpose(f["x"], p["W"], p["B"], (2, 2), (1, 1, 1, 1), (2, 2), 2)])
    conv_transpose("convtranspose_asym_pads_outpad", "ConvTranspose 2x3 kernel, strides [2,3], asymmetric pads [0,1,1,0], "
                   "output_padding [1,2]", x=(1, 2, 4, 5), n=3, k=(2, 3), strides=[2, 3], pads=[0, 1, 1, 0],
                   output_padding=[1, 2])
    conv_transpose("convtranspose_autopad_same_upper", "ConvTranspose 3x3 strides 2 auto_pad SAME_UPPER (output = 2 x input)",
                   strides=[2, 2], auto_pad="SAME_UPPER")
    conv_transpose("convtranspose_kernel2_stride2", "ConvTranspose 2x2 strides 2 (U-Net up-convolution)", x=(1, 4, 4, 5),
                   n=2, k=(2, 2), strides=[2, 2])


def batchnorm_params(c, ch, store="raw"):
    return [c.weight("scale", c.rand((ch,), 0.5, 1.5), store), c.weight("bias", c.rand((ch,)), store),
            c.weight("mean", c.rand((ch,), -0.5, 0.5), store), c.weight("var", c.rand((ch,), 0.2, 2.0), store)]


def batchnorm_cases():
    c = Case("conv_batchnorm", 13, "Conv 3x3 (no bias) then BatchNormalization epsilon 1e-3: foldable into the Conv")
    y = c.node("Conv", [c.input("x", X), c.weight("W", c.rand((4, 3, 3, 3), -0.5, 0.5))], kernel_shape=[3, 3],
               pads=[1, 1, 1, 1])
    c.output(c.node("BatchNormalization", [y] + batchnorm_params(c, 4), ["y"], epsilon=1e-3))
    c.notes.append(REFERENCE_BN9)
    c.finish(lambda f, p: [np_batchnorm(np_conv(f["x"], p["W"], pads=(1, 1, 1, 1)), p, 1e-3)])

    c = Case("conv_bias_batchnorm_relu", 13, "Conv 3x3 with bias, BatchNormalization (default epsilon), Relu")
    y = c.node("Conv", [c.input("x", X), c.weight("W", c.rand((5, 3, 3, 3), -0.5, 0.5)), c.weight("B", c.rand((5,)))],
               kernel_shape=[3, 3], strides=[2, 2])
    y = c.node("BatchNormalization", [y] + batchnorm_params(c, 5))
    c.output(c.node("Relu", [y], ["y"]))
    c.notes.append(REFERENCE_BN9)
    c.finish(lambda f, p: [np.maximum(np_batchnorm(np_conv(f["x"], p["W"], p["B"], strides=(2, 2)), p), 0)])

    c = Case("batchnorm", 13, "standalone BatchNormalization (inference), epsilon 1e-5")
    c.output(c.node("BatchNormalization", [c.input("x", (1, 4, 6, 7), -2, 2)] + batchnorm_params(c, 4), ["y"]))
    c.notes.append(REFERENCE_BN9)
    c.finish(lambda f, p: [np_batchnorm(f["x"], p)])

    c = Case("batchnorm_opset15_float_data", 15, "BatchNormalization-15, params in float_data, epsilon 1e-2, "
             "momentum 0.8 (ignored in inference)")
    c.output(c.node("BatchNormalization", [c.input("x", (1, 4, 6, 7), -2, 2)] + batchnorm_params(c, 4, "float_data"),
                    ["y"], epsilon=1e-2, momentum=0.8))
    c.finish()


def unary(name, op, desc, opset=13, low=-3.0, high=3.0, x=X, extra=(), **attrs):
    c = Case(name, opset, desc)
    ins = [c.input("x", x, low, high)]
    for kind, value in extra:
        if kind == "none":
            ins.append("")
        elif kind == "const":
            ins.append(c.constant(f"const{len(ins)}", value))
        elif kind == "const_float":
            ins.append(c.constant(f"const{len(ins)}", value_float=value))
        else:
            ins.append(c.weight(kind, value))
    c.output(c.node(op, ins, ["y"], **attrs))
    c.finish()


def activation_cases():
    unary("relu", "Relu", "Relu")
    unary("leakyrelu_alpha0.1", "LeakyRelu", "LeakyRelu alpha 0.1", alpha=0.1)
    unary("leakyrelu_default", "LeakyRelu", "LeakyRelu default alpha 0.01")
    c = Case("prelu_per_channel", 13, "PRelu with a per-channel slope [C,1,1]")
    c.output(c.node("PRelu", [c.input("x", X, -3, 3), c.weight("slope", c.rand((3, 1, 1), -0.5, 0.5))], ["y"]))
    c.finish()
    c = Case("prelu_scalar_slope", 13, "PRelu with a one-element slope [1]")
    c.output(c.node("PRelu", [c.input("x", X, -3, 3), c.weight("slope", np.array([0.25]))], ["y"]))
    c.finish()
    unary("sigmoid", "Sigmoid", "Sigmoid", low=-8, high=8)
    unary("tanh", "Tanh", "Tanh", low=-4, high=4)
    unary("elu_alpha0.7", "Elu", "Elu alpha 0.7", alpha=0.7)
    unary("hardsigmoid_alpha0.25_beta0.45", "HardSigmoid", "HardSigmoid alpha 0.25 beta 0.45 (non-default)",
          alpha=0.25, beta=0.45)
    unary("hardswish", "HardSwish", "HardSwish (opset 14)", opset=14, low=-5, high=5)
    unary("clip_opset11_min_max", "Clip", "Clip-11, min -0.5 and max 1.5 as scalar initializer inputs", opset=11,
          extra=[("min", np.float32(-0.5)), ("max", np.float32(1.5))])
    unary("clip_opset13_max_only", "Clip", "Clip-13 with only max (6.0): min input omitted (empty name) -> ReLU6",
          low=-8, high=8, extra=[("none", None), ("max", np.float32(6.0))])
    unary("clip_opset13_constant_nodes", "Clip", "Clip-13 with min 0 and max 1 from Constant nodes (min: value "
          "tensor, max: value_float)", extra=[("const", np.float32(0.0)), ("const_float", 1.0)])
    unary("clip_opset6_attributes", "Clip", "Clip-6 attribute form: min -1, max 0.5", opset=6, min=-1.0, max=0.5)
    unary("identity", "Identity", "Identity")
    unary("sqrt", "Sqrt", "Sqrt of a positive input", low=0.01, high=4)


def binary_cases():
    def case(name, op, desc, b_shape=None, b_store="raw", b_low=-1.0, b_high=1.0, x_low=-2.0, x_high=2.0, b_first=False,
             dynamic=False, b_values=None):
        c = Case(name, 13, desc)
        x = c.input("x" if not dynamic else "a", X, x_low, x_high)
        if dynamic:
            b = c.input("b", b_shape, b_low, b_high)
        else:
            b = c.weight("B", c.rand(b_shape, b_low, b_high) if b_values is None else b_values, b_store)
        c.output(c.node(op, [b, x] if b_first else [x, b], ["y"]))
        c.finish()

    case("add_scalar", "Add", "Add a scalar (shape []) initializer", b_shape=())
    case("sub_per_channel_c11", "Sub", "Sub a [C,1,1] initializer (per-channel)", b_shape=(3, 1, 1))
    case("mul_1c11_float_data", "Mul", "Mul by a [1,C,1,1] initializer in float_data", b_shape=(1, 3, 1, 1), b_store="float_data")
    case("div_by_w", "Div", "Div by a rank-1 [W] initializer (aligns with the last axis, not channels)", b_shape=(11,),
         b_values=np.linspace(0.5, 2.0, 11) * np.where(np.arange(11) % 3 == 0, -1, 1))
    case("sub_scalar_minus_x", "Sub", "scalar initializer minus input (constant on the left): 1 - x", b_shape=(),
         b_values=np.float32(1.0), b_first=True)
    case("add_two_inputs", "Add", "Add two dynamic inputs of the same shape", b_shape=X, dynamic=True)
    case("mul_two_inputs_broadcast", "Mul", "Mul two dynamic inputs, [1,3,9,11] * [1,1,9,1]", b_shape=(1, 1, 9, 1),
         dynamic=True)
    case("div_two_inputs_broadcast", "Div", "Div two dynamic inputs, [1,3,9,11] / [1,3,1,1] (divisor in [0.5, 2])",
         b_shape=(1, 3, 1, 1), b_low=0.5, b_high=2.0, dynamic=True)
    case("pow_scalar_exponent2", "Pow", "Pow with scalar exponent 2 on a signed base", b_shape=(), b_values=np.float32(2.0))
    case("pow_per_channel_exponent", "Pow", "Pow of a positive base by a [C,1,1] exponent (0.5, 1.5, 3)",
         b_shape=(3, 1, 1), b_values=np.array([0.5, 1.5, 3.0]).reshape(3, 1, 1), x_low=0.1, x_high=2.0)
    case("add_bias_float64_cast", "Add", "Add a [1,C,1,1] bias stored as float64 (double_data) and Cast to float",
         b_shape=(1, 3, 1, 1), b_store="float64_double_data")


def pool(name, op, desc, x=X, opset=13, **attrs):
    c = Case(name, opset, desc)
    c.output(c.node(op, [c.input("x", x, -2, 2)], ["y"], **attrs))
    c.finish()


def pooling_cases():
    pool("maxpool_k2_s2", "MaxPool", "MaxPool 2x2 strides 2 (floor: 9x11 -> 4x5)", kernel_shape=[2, 2], strides=[2, 2])
    pool("maxpool_k3_default_strides", "MaxPool", "MaxPool 3x3 with strides omitted (default 1)", kernel_shape=[3, 3])
    pool("maxpool_k3_s2_pads1", "MaxPool", "MaxPool 3x3 strides 2 pads 1 (padding never wins)", kernel_shape=[3, 3],
         strides=[2, 2], pads=[1, 1, 1, 1])
    pool("maxpool_k2_s2_ceil", "MaxPool", "MaxPool 2x2 strides 2 ceil_mode 1 (9x11 -> 5x6, last windows partial)",
         kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    pool("maxpool_k2_s2_pads1_ceil_drop_last", "MaxPool", "MaxPool 2x2 strides 2 pads 1 ceil_mode 1: the last row "
         "(or column) window would start in the bottom (right) padding and is dropped: 9x11 -> 5x6, as PyTorch; ONNX "
         "shape inference before MaxPool-22 says 6x7", kernel_shape=[2, 2], strides=[2, 2],
         pads=[1, 1, 1, 1], ceil_mode=1)
    pool("maxpool_k3_dilations2", "MaxPool", "MaxPool 3x3 dilations 2 strides 1", kernel_shape=[3, 3], dilations=[2, 2])
    pool("maxpool_k2_dilations2_s2_ceil", "MaxPool", "MaxPool 2x2 dilations [2,3] strides 2 ceil_mode 1", kernel_shape=[2, 2],
         dilations=[2, 3], strides=[2, 2], ceil_mode=1)
    pool("maxpool_autopad_same_upper", "MaxPool", "MaxPool 3x3 strides 2 auto_pad SAME_UPPER", kernel_shape=[3, 3],
         strides=[2, 2], auto_pad="SAME_UPPER")
    pool("maxpool_autopad_same_lower_k2", "MaxPool", "MaxPool 2x2 strides 1 auto_pad SAME_LOWER (pad 1 at the start)",
         kernel_shape=[2, 2], auto_pad="SAME_LOWER")
    pool("maxpool_autopad_valid", "MaxPool", "MaxPool 3x3 strides 2 auto_pad VALID", kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="VALID")
    pool("maxpool_asymmetric_pads", "MaxPool", "MaxPool 3x3 strides 2 pads [top 1, left 0, bottom 0, right 2]",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 2])
    pool("maxpool_opset11", "MaxPool", "MaxPool-11 3x3 strides 2 pads 1", opset=11, kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1])

    pool("avgpool_k2_s2", "AveragePool", "AveragePool 2x2 strides 2", kernel_shape=[2, 2], strides=[2, 2])
    pool("avgpool_k3_s2_pads1_exclude_pad", "AveragePool", "AveragePool 3x3 strides 2 pads 1 count_include_pad 0",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)
    pool("avgpool_k3_s2_pads1_include_pad", "AveragePool", "AveragePool 3x3 strides 2 pads 1 count_include_pad 1",
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    pool("avgpool_k2_s2_ceil", "AveragePool", "AveragePool 2x2 strides 2 ceil_mode 1: edge windows divide by the samples "
         "inside the input", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    pool("avgpool_k3_s2_pads1_ceil_include_pad", "AveragePool", "AveragePool 3x3 strides 2 pads 1 ceil_mode 1 "
         "count_include_pad 1 on 8x10: the last window hangs past the padding; the divisor counts the pad but not "
         "the overhang", x=(1, 3, 8, 10), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
         count_include_pad=1)
    pool("avgpool_k3_s2_pads1_ceil_exclude_pad", "AveragePool", "AveragePool 3x3 strides 2 pads 1 ceil_mode 1 "
         "count_include_pad 0 on 8x10", x=(1, 3, 8, 10), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         ceil_mode=1, count_include_pad=0)
    pool("avgpool_autopad_same_upper", "AveragePool", "AveragePool 3x3 strides 2 auto_pad SAME_UPPER (count_include_pad 0)",
         kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
    pool("avgpool_autopad_same_lower_include_pad", "AveragePool", "AveragePool 2x2 strides 1 auto_pad SAME_LOWER "
         "count_include_pad 1", kernel_shape=[2, 2], auto_pad="SAME_LOWER", count_include_pad=1)
    pool("avgpool_autopad_valid", "AveragePool", "AveragePool 3x3 strides 2 auto_pad VALID", kernel_shape=[3, 3],
         strides=[2, 2], auto_pad="VALID")
    pool("avgpool_asymmetric_pads_include_pad", "AveragePool", "AveragePool 3x3 strides 2 pads [0,1,2,0] count_include_pad 1",
         kernel_shape=[3, 3], strides=[2, 2], pads=[0, 1, 2, 0], count_include_pad=1)
    pool("avgpool_opset11", "AveragePool", "AveragePool-11 3x3 strides 2 pads 1 (count_include_pad 0)", opset=11,
         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])

    pool("globalaveragepool", "GlobalAveragePool", "GlobalAveragePool -> [1,C,1,1]")
    pool("globalmaxpool", "GlobalMaxPool", "GlobalMaxPool -> [1,C,1,1]")


def resize(name, opset, desc, x=(1, 3, 5, 6), scales=None, sizes=None, **attrs):
    c = Case(name, opset, desc)
    xi = c.input("x", x, 0, 1)
    if opset == 11:  # roi and scales are required inputs (empty tensors when unused)
        roi = c.weight("roi", np.zeros((0,)))
        sc = c.weight("scales", np.asarray(scales if scales is not None else [], dtype=np.float64))
        ins = [xi, roi, sc] + ([c.ints("sizes", sizes)] if sizes is not None else [])
    elif scales is not None:
        ins = [xi, "", c.weight("scales", np.asarray(scales))]
    else:
        ins = [xi, "", "", c.ints("sizes", sizes, "int64_data")]
    c.output(c.node("Resize", ins, ["y"], **attrs))
    c.finish()


def resize_cases():
    nearest = dict(mode="nearest")
    linear = dict(mode="linear")
    resize("resize11_nearest_asymmetric_floor_scales_x2", 11, "Resize-11 nearest asymmetric floor, scales x2 (PyTorch "
           "'nearest'); roi and scales inputs given", scales=[1, 1, 2, 2], coordinate_transformation_mode="asymmetric",
           nearest_mode="floor", **nearest)
    resize("resize11_nearest_align_corners_sizes_up", 11, "Resize-11 nearest align_corners round_prefer_ceil, sizes "
           "5x6 -> 9x11 (scales input empty)", sizes=[1, 3, 9, 11], coordinate_transformation_mode="align_corners",
           nearest_mode="round_prefer_ceil", **nearest)
    resize("resize11_linear_half_pixel_scales_x2", 11, "Resize-11 linear half_pixel, scales x2", scales=[1, 1, 2, 2],
           coordinate_transformation_mode="half_pixel", **linear)
    resize("resize11_linear_asymmetric_sizes_down", 11, "Resize-11 linear asymmetric, sizes 8x10 -> 5x4", x=(1, 3, 8, 10),
           sizes=[1, 3, 5, 4], coordinate_transformation_mode="asymmetric", **linear)

    resize("resize13_nearest_asymmetric_floor_scales_x3", 13, "Resize-13 nearest asymmetric floor, scales x3",
           scales=[1, 1, 3, 3], coordinate_transformation_mode="asymmetric", nearest_mode="floor", **nearest)
    resize("resize13_nearest_asymmetric_ceil_scales_x1.5", 13, "Resize-13 nearest asymmetric ceil, scales x1.5 (5x6 -> 7x9)",
           scales=[1, 1, 1.5, 1.5], coordinate_transformation_mode="asymmetric", nearest_mode="ceil", **nearest)
    resize("resize13_nearest_half_pixel_round_prefer_floor_down", 13, "Resize-13 nearest half_pixel round_prefer_floor, "
           "scales 0.5 (8x10 -> 4x5): every source coordinate is a tie", x=(1, 3, 8, 10), scales=[1, 1, 0.5, 0.5],
           coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_floor", **nearest)
    resize("resize13_nearest_half_pixel_round_prefer_ceil_down", 13, "Resize-13 nearest half_pixel round_prefer_ceil, "
           "scales 0.5 (8x10 -> 4x5): ties go up", x=(1, 3, 8, 10), scales=[1, 1, 0.5, 0.5],
           coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil", **nearest)
    resize("resize13_nearest_align_corners_floor_sizes_up", 13, "Resize-13 nearest align_corners floor, sizes 5x6 -> 9x11",
           sizes=[1, 3, 9, 11], coordinate_transformation_mode="align_corners", nearest_mode="floor", **nearest)
    resize("resize13_nearest_asymmetric_round_prefer_floor_sizes_down", 13, "Resize-13 nearest asymmetric "
           "round_prefer_floor, sizes 8x10 -> 3x4", x=(1, 3, 8, 10), sizes=[1, 3, 3, 4],
           coordinate_transformation_mode="asymmetric", nearest_mode="round_prefer_floor", **nearest)
    resize("resize13_nearest_default_modes_scales_x2", 13, "Resize-13 nearest with default attributes (half_pixel, "
           "round_prefer_floor), scales x2", scales=[1, 1, 2, 2], **nearest)
    resize("resize13_nearest_nonuniform_scales", 13, "Resize-13 nearest asymmetric floor, scales [1,1,2,0.5] "
           "(up in H, down in W)", scales=[1, 1, 2, 0.5], coordinate_transformation_mode="asymmetric",
           nearest_mode="floor", **nearest)
    resize("resize13_linear_half_pixel_scales_x2", 13, "Resize-13 linear half_pixel, scales x2 (PyTorch bilinear "
           "align_corners=False)", scales=[1, 1, 2, 2], coordinate_transformation_mode="half_pixel", **linear)
    resize("resize13_linear_half_pixel_sizes_down", 13, "Resize-13 linear half_pixel, sizes 8x10 -> 5x7", x=(1, 3, 8, 10),
           sizes=[1, 3, 5, 7], coordinate_transformation_mode="half_pixel", **linear)
    resize("resize13_linear_pytorch_half_pixel_scales_x1.5", 13, "Resize-13 linear pytorch_half_pixel, scales x1.5",
           scales=[1, 1, 1.5, 1.5], coordinate_transformation_mode="pytorch_half_pixel", **linear)
    resize("resize13_linear_pytorch_half_pixel_sizes_to_1_row", 13, "Resize-13 linear pytorch_half_pixel, sizes 5x6 -> "
           "1x7: a length-1 axis samples source 0 (half_pixel would sample the middle)", sizes=[1, 3, 1, 7],
           coordinate_transformation_mode="pytorch_half_pixel", **linear)
    resize("resize13_linear_half_pixel_sizes_to_1_row", 13, "Resize-13 linear half_pixel, sizes 5x6 -> 1x7 (compare "
           "with the pytorch_half_pixel case)", sizes=[1, 3, 1, 7], coordinate_transformation_mode="half_pixel", **linear)
    resize("resize13_linear_align_corners_sizes_up", 13, "Resize-13 linear align_corners, sizes 5x6 -> 9x11",
           sizes=[1, 3, 9, 11], coordinate_transformation_mode="align_corners", **linear)
    resize("resize13_linear_align_corners_scales_down", 13, "Resize-13 linear align_corners, scales 0.5 (8x10 -> 4x5)",
           x=(1, 3, 8, 10), scales=[1, 1, 0.5, 0.5], coordinate_transformation_mode="align_corners", **linear)
    resize("resize13_linear_asymmetric_scales_x3", 13, "Resize-13 linear asymmetric, scales x3", scales=[1, 1, 3, 3],
           coordinate_transformation_mode="asymmetric", **linear)
    resize("resize13_linear_asymmetric_scales_down", 13, "Resize-13 linear asymmetric, scales 0.5 (8x10 -> 4x5)",
           x=(1, 3, 8, 10), scales=[1, 1, 0.5, 0.5], coordinate_transformation_mode="asymmetric", **linear)

    c = Case("upsample_opset9_nearest", 9, "Upsample-9 nearest, scales input [1,1,2,3]")
    c.output(c.node("Upsample", [c.input("x", (1, 3, 5, 6)), c.weight("scales", np.array([1, 1, 2, 3]))], ["y"],
                    mode="nearest"))
    c.finish()


def shape_op_cases():
    c = Case("concat_channels", 13, "Concat two dynamic inputs on the channel axis 1")
    c.output(c.node("Concat", [c.input("x0", (1, 3, 5, 6)), c.input("x1", (1, 2, 5, 6))], ["y"], axis=1))
    c.finish()
    c = Case("concat_axis_neg1", 13, "Concat on axis -1: input, initializer, input")
    c.output(c.node("Concat", [c.input("x0", (1, 3, 5, 4)), c.weight("mid", c.rand((1, 3, 5, 2))),
                               c.input("x1", (1, 3, 5, 3))], ["y"], axis=-1))
    c.finish()

    c = Case("split11_unequal_attribute", 11, "Split-11 on axis 1 with attribute split [2,3]")
    c.output(*c.node("Split", [c.input("x", (1, 5, 4, 6))], ["y0", "y1"], axis=1, split=[2, 3]))
    c.finish()
    c = Case("split11_equal", 11, "Split-11 into 3 equal parts on axis -1 (no split attribute)")
    c.output(*c.node("Split", [c.input("x", (1, 3, 4, 6))], ["y0", "y1", "y2"], axis=-1))
    c.finish()
    c = Case("split13_unequal_input", 13, "Split-13 on axis 2 with split input [1,2,3] (int64_data)")
    c.output(*c.node("Split", [c.input("x", (1, 3, 6, 4)), c.ints("split", [1, 2, 3], "int64_data")], ["y0", "y1", "y2"],
                     axis=2))
    c.finish()
    c = Case("split13_equal", 13, "Split-13 into 2 equal parts on axis 1 (no split input)")
    c.output(*c.node("Split", [c.input("x", (1, 4, 5, 6))], ["y0", "y1"], axis=1))
    c.finish()

    def slice_case(name, desc, starts, ends, axes=None, steps=None, store="raw"):
        c = Case(name, 13, desc)
        ins = [c.input("x", X), c.ints("starts", starts, store), c.ints("ends", ends, store)]
        if axes is not None:
            ins.append(c.ints("axes", axes, store))
        if steps is not None:
            if axes is None:
                ins.append("")
            ins.append(c.ints("steps", steps, store))
        c.output(c.node("Slice", ins, ["y"]))
        c.finish()

    slice_case("slice_axes_2_3", "Slice-13 starts [1,2] ends [7,9] on axes [2,3]", [1, 2], [7, 9], [2, 3])
    slice_case("slice_negative_starts_ends", "Slice-13 negative starts/ends and axes: W [-5:-1], H [-3:100] (end clamped)",
               [-5, -3], [-1, 100], [-1, -2])
    slice_case("slice_steps2", "Slice-13 steps 2 on H and W, starts [0,1]", [0, 1], [9, 11], [2, 3], [2, 2])
    slice_case("slice_negative_steps", "Slice-13 negative steps: W reversed (start -1, end INT64_MIN, step -1), "
               "H from 7 down to 2 step -2", [-1, 7], [INT64_MIN, 1], [3, 2], [-1, -2])
    slice_case("slice_int64_max_no_axes_int64_data", "Slice-13 without axes (axes 0..2), ends INT64_MAX (clamped), "
               "int64 inputs in int64_data", [0, 1, 2], [INT64_MAX, INT64_MAX, INT64_MAX], store="int64_data")
    slice_case("slice_no_axes_with_steps", "Slice-13 with axes omitted (empty name) but steps given", [0, 0, 0, 1],
               [1, 3, INT64_MAX, INT64_MAX], None, [1, 2, 3, 2])

    for axis in (1, 0, 2):
        c = Case(f"flatten_axis{axis}", 13, f"Flatten axis {axis} on [1,3,4,5]")
        c.output(c.node("Flatten", [c.input("x", (1, 3, 4, 5))], ["y"], axis=axis))
        c.finish()

    c = Case("reshape_zero_minus1", 13, "Reshape to [0,0,-1] (0 copies the input dim), shape raw_data -> [1,3,99]")
    c.output(c.node("Reshape", [c.input("x", X), c.ints("shape", [0, 0, -1])], ["y"]))
    c.finish()
    c = Case("reshape_minus1_middle_int64_data", 13, "Reshape to [1,-1,11], shape in int64_data -> [1,27,11]")
    c.output(c.node("Reshape", [c.input("x", X), c.ints("shape", [1, -1, 11], "int64_data")], ["y"]))
    c.finish()
    c = Case("reshape_constant_node", 13, "Reshape with the shape [0,-1] from a Constant node (value tensor)")
    c.output(c.node("Reshape", [c.input("x", X), c.constant("shape", np.array([0, -1], np.int64))], ["y"]))
    c.finish()
    c = Case("reshape_constant_value_ints", 13, "Reshape with the shape [1,3,11,9] from a Constant node's value_ints")
    c.output(c.node("Reshape", [c.input("x", X), c.constant("shape", value_ints=[1, 3, 11, 9])], ["y"]))
    c.finish()

    c = Case("transpose_nchw_to_nhwc", 13, "Transpose perm [0,2,3,1]")
    c.output(c.node("Transpose", [c.input("x", (1, 3, 4, 5))], ["y"], perm=[0, 2, 3, 1]))
    c.finish()
    c = Case("transpose_default_perm", 13, "Transpose without perm (reverses the axes)")
    c.output(c.node("Transpose", [c.input("x", (1, 3, 4, 5))], ["y"]))
    c.finish()

    c = Case("squeeze11_attribute_axes", 11, "Squeeze-11 axes attribute [0,2]: [1,3,1,5] -> [3,5]")
    c.output(c.node("Squeeze", [c.input("x", (1, 3, 1, 5))], ["y"], axes=[0, 2]))
    c.finish()
    c = Case("squeeze13_input_axes", 13, "Squeeze-13 axes input [-2]: [1,3,1,5] -> [1,3,5]")
    c.output(c.node("Squeeze", [c.input("x", (1, 3, 1, 5)), c.ints("axes", [-2])], ["y"]))
    c.finish()
    c = Case("squeeze13_no_axes", 13, "Squeeze-13 without axes: removes every size-1 axis")
    c.output(c.node("Squeeze", [c.input("x", (1, 3, 1, 5))], ["y"]))
    c.finish()
    c = Case("unsqueeze11_attribute_axes", 11, "Unsqueeze-11 axes attribute [0,3]: [3,5] -> [1,3,5,1]")
    c.output(c.node("Unsqueeze", [c.input("x", (3, 5))], ["y"], axes=[0, 3]))
    c.finish()
    c = Case("unsqueeze13_input_axes", 13, "Unsqueeze-13 axes input [3,1] (unsorted, int64_data): [3,5] -> [3,1,5,1]")
    c.output(c.node("Unsqueeze", [c.input("x", (3, 5)), c.ints("axes", [3, 1], "int64_data")], ["y"]))
    c.finish()
    c = Case("unsqueeze13_negative_axis", 13, "Unsqueeze-13 axes input [-1]: [1,3,5] -> [1,3,5,1]")
    c.output(c.node("Unsqueeze", [c.input("x", (1, 3, 5)), c.ints("axes", [-1])], ["y"]))
    c.finish()

    for name, desc, idx, axis, shape in [
            ("gather_scalar_index", "Gather axis 0 with a scalar int64 index 2: [6,5] -> [5]", np.int64(2), 0, (6, 5)),
            ("gather_scalar_negative_index", "Gather axis 0 with scalar index -2 (counts from the end)", np.int64(-2), 0,
             (6, 5)),
            ("gather_vector_indices", "Gather axis 0 with indices [0,-1,3] (one negative): [6,5] -> [3,5]",
             np.array([0, -1, 3]), 0, (6, 5)),
            ("gather_axis1_channels", "Gather axis 1 (channels) with indices [2,0] on [1,4,3,5]", np.array([2, 0]), 1,
             (1, 4, 3, 5))]:
        c = Case(name, 13, desc)
        c.output(c.node("Gather", [c.input("x", shape), c.ints("indices", idx)], ["y"], axis=axis))
        c.finish()

    for name, opset, desc, ratio in [
            ("dropout13_ratio_input", 13, "Dropout-13 in inference (ratio input 0.3, no training_mode): identity", 0.3),
            ("dropout12_ratio_input", 12, "Dropout-12 with ratio input 0.5 (inference: identity)", 0.5),
            ("dropout11_ratio_attribute", 11, "Dropout-11 ratio attribute 0.2 (inference: identity)", 0.2)]:
        c = Case(name, opset, desc)
        if opset >= 12:
            c.output(c.node("Dropout", [c.input("x", X), c.weight("ratio", np.float32(ratio))], ["y"]))
        else:
            c.output(c.node("Dropout", [c.input("x", X)], ["y"], ratio=ratio))
        c.finish()

    def pad_case(name, opset, desc, pads, mode=None, value=None, x=(1, 3, 5, 6), store="raw", check=None):
        c = Case(name, opset, desc)
        attrs = {} if mode is None else {"mode": mode}
        if opset < 11:
            if value is not None:
                attrs["value"] = value
            c.output(c.node("Pad", [c.input("x", x)], ["y"], pads=pads, **attrs))
        else:
            ins = [c.input("x", x), c.ints("pads", pads, store)]
            if value is not None:
                ins.append(c.weight("value", np.float32(value)))
            c.output(c.node("Pad", ins, ["y"], **attrs))
        if check is not None:
            c.notes.append("onnx.reference's Pad rejects negative pads")
        c.finish(check)

    pad_case("pad11_constant_value", 11, "Pad-11 constant mode, value 0.5 input; pads [top 1, left 2, bottom 2, right 1]",
             [0, 0, 1, 2, 0, 0, 2, 1], "constant", 0.5)
    pad_case("pad11_reflect", 11, "Pad-11 reflect, pads H 2/1 W 1/3 (int64_data)", [0, 0, 2, 1, 0, 0, 1, 3], "reflect",
             store="int64_data")
    pad_case("pad11_edge", 11, "Pad-11 edge, pads H 1/2 W 3/1", [0, 0, 1, 3, 0, 0, 2, 1], "edge")
    pad_case("pad13_default_constant_negative_pads", 13, "Pad-13 default mode (constant 0), negative pads crop: "
             "H -1/+1, W +2/-2", [0, 0, -1, 2, 0, 0, 1, -2],
             check=lambda f, p: [np.pad(f["x"][:, :, 1:, :-2], ((0, 0), (0, 0), (0, 1), (2, 0)))])
    pad_case("pad13_channel_pad", 13, "Pad-13 constant value -1 on the channel axis too (C 1/2)", [0, 1, 1, 0, 0, 2, 0, 1],
             "constant", -1.0)
    pad_case("pad2_attribute_constant", 2, "Pad-2 attribute form: pads attribute, mode constant, value 1.5",
             [0, 0, 1, 2, 0, 0, 2, 1], "constant", 1.5)
    pad_case("pad2_attribute_reflect", 2, "Pad-2 attribute form, mode reflect", [0, 0, 2, 1, 0, 0, 1, 2], "reflect")

    c = Case("cast_float_int64_float", 13, "Cast float -> int64 -> float: truncation toward zero (inputs in [-5,5] "
             "incl. +-2.5, +-0.7)")
    x = c.rand((1, 3, 4, 5), -5, 5)
    x.flat[:6] = [2.5, -2.5, 0.7, -0.7, 4.999, -4.999]
    y = c.node("Cast", [c.input("x", (1, 3, 4, 5), data=x)], to=TensorProto.INT64)
    c.output(c.node("Cast", [y], ["y"], to=F32))
    c.finish()
    c = Case("cast_float16_round_trip", 13, "Cast float -> float16 -> float (round to nearest even; 1e5, -7e4 and "
             "65520 overflow to +-inf, so the output holds infinities; 1e-8 underflows to 0)")
    x = c.rand((1, 3, 4, 5), -4, 4)
    x.flat[:5] = [1e5, -7e4, 1e-8, 65519.0, 65520.0]
    y = c.node("Cast", [c.input("x", (1, 3, 4, 5), data=x)], to=TensorProto.FLOAT16)
    c.output(c.node("Cast", [y], ["y"], to=F32))
    c.finish()

    c = Case("shape_cast", 13, "Shape of a [1,3,9,11] input, Cast to float -> [4] = [1,3,9,11]")
    c.output(c.node("Cast", [c.node("Shape", [c.input("x", X)])], ["y"], to=F32))
    c.finish()
    c = Case("shape15_start_end", 15, "Shape-15 with start 1, end -1 -> [3,9], Cast to float")
    c.output(c.node("Cast", [c.node("Shape", [c.input("x", X)], start=1, end=-1)], ["y"], to=F32))
    c.finish()

    for opset in (11, 13, 17):
        c = Case(f"view_flatten_exporter_pattern_opset{opset}", opset, "torch.onnx.export of x.view(x.size(0), -1): "
                 "Shape -> Gather(0) -> Unsqueeze -> Concat with Constant [-1] -> Reshape; Constant nodes for the "
                 f"index/axes{' (Unsqueeze axes as input)' if opset >= 13 else ' (Unsqueeze axes attribute)'}")
        x = c.input("x", (1, 3, 4, 5))
        shape = c.node("Shape", [x])
        n = c.node("Gather", [shape, c.constant("index0", np.array(0, np.int64))], axis=0)
        if opset >= 13:
            n = c.node("Unsqueeze", [n, c.constant("axes0", np.array([0], np.int64))])
        else:
            n = c.node("Unsqueeze", [n], axes=[0])
        target = c.node("Concat", [n, c.constant("minus1", np.array([-1], np.int64))], axis=0)
        c.output(c.node("Reshape", [x, target], ["y"]))
        c.finish()


def math_cases():
    c = Case("gemm_transb_bias", 13, "Gemm transB 1, C bias [5]: [1,12] x [5,12]^T + C")
    c.output(c.node("Gemm", [c.input("x", (1, 12)), c.weight("W", c.rand((5, 12))), c.weight("C", c.rand((5,)))], ["y"],
                    transB=1))
    c.finish()
    c = Case("gemm_alpha_beta", 13, "Gemm transB 1, alpha 0.5, beta 2.0, C [1,5] in float_data")
    c.output(c.node("Gemm", [c.input("x", (2, 12)), c.weight("W", c.rand((5, 12)), "float_data"),
                             c.weight("C", c.rand((1, 5)), "float_data")], ["y"], transB=1, alpha=0.5, beta=2.0))
    c.finish()
    c = Case("gemm_no_c_transa", 13, "Gemm transA 1, no C (optional at opset 13): [12,2]^T x [12,5]")
    c.output(c.node("Gemm", [c.input("x", (12, 2)), c.weight("W", c.rand((12, 5)))], ["y"], transA=1))
    c.finish()
    c = Case("gemm_scalar_c_opset11", 11, "Gemm-11 transB 1 with a one-element C [1] broadcast")
    c.output(c.node("Gemm", [c.input("x", (1, 12)), c.weight("W", c.rand((5, 12))), c.weight("C", np.array([0.75]))],
                    ["y"], transB=1))
    c.finish()

    c = Case("matmul_2d", 13, "MatMul [4,6] x [6,3]")
    c.output(c.node("MatMul", [c.input("x", (4, 6)), c.weight("W", c.rand((6, 3)))], ["y"]))
    c.finish()
    c = Case("matmul_3d_by_2d", 13, "MatMul batched [2,4,6] x [6,3] (the 2-D operand broadcasts)")
    c.output(c.node("MatMul", [c.input("x", (2, 4, 6)), c.weight("W", c.rand((6, 3)))], ["y"]))
    c.finish()
    c = Case("matmul_4d_by_2d", 13, "MatMul [1,3,5,6] x [6,2]")
    c.output(c.node("MatMul", [c.input("x", (1, 3, 5, 6)), c.weight("W", c.rand((6, 2)))], ["y"]))
    c.finish()
    c = Case("matmul_two_inputs_batched", 13, "MatMul of two dynamic inputs [2,4,6] x [2,6,3]")
    c.output(c.node("MatMul", [c.input("a", (2, 4, 6)), c.input("b", (2, 6, 3))], ["y"]))
    c.finish()

    for name, opset, desc, shape, attrs in [
            ("softmax11_axis_neg1", 11, "Softmax-11 axis -1 on [1,3,5,6]", (1, 3, 5, 6), {"axis": -1}),
            ("softmax11_axis1_4d", 11, "Softmax-11 axis 1 on [1,3,5,6]: opset < 13 coerces to 2-D, so it normalises "
             "over C*H*W together (unlike opset 13)", (1, 3, 5, 6), {"axis": 1}),
            ("softmax11_default_axis", 11, "Softmax-11 default axis (1) on [2,7]", (2, 7), {}),
            ("softmax13_axis_neg1", 13, "Softmax-13 axis -1 on [2,7]", (2, 7), {"axis": -1}),
            ("softmax13_axis1_4d", 13, "Softmax-13 axis 1 on [1,3,5,6]: per-pixel softmax over channels", (1, 3, 5, 6),
             {"axis": 1}),
            ("softmax13_default_axis", 13, "Softmax-13 default axis (-1) on [1,3,5,6]", (1, 3, 5, 6), {})]:
        c = Case(name, opset, desc)
        c.output(c.node("Softmax", [c.input("x", shape, -4, 4)], ["y"], **attrs))
        check = None
        if name == "softmax11_axis1_4d":
            c.notes.append("onnx.reference's Softmax ignores the opset < 13 coercion to 2-D")
            check = lambda f, p: [(lambda e: e / e.sum())(np.exp(f["x"] - f["x"].max()))]
        c.finish(check)

    for name, opset, desc, axes, keepdims in [
            ("reducemean13_hw_keepdims1", 13, "ReduceMean-13 axes attribute [2,3], keepdims 1", [2, 3], 1),
            ("reducemean11_channels_keepdims0", 11, "ReduceMean-11 axes attribute [1], keepdims 0", [1], 0),
            ("reducemean13_no_axes_keepdims0", 13, "ReduceMean-13 without axes (all), keepdims 0 -> scalar", None, 0),
            ("reducemean18_input_axes_keepdims0", 18, "ReduceMean-18 axes input [-1], keepdims 0", [-1], 0),
            ("reducemean18_input_axes_keepdims1", 18, "ReduceMean-18 axes input [2,3] (int64_data), keepdims 1", [2, 3], 1),
            ("reducemean18_no_axes", 18, "ReduceMean-18 without axes input: all axes, keepdims 1 (default)", None, None)]:
        c = Case(name, opset, desc)
        ins, attrs = [c.input("x", X)], {}
        if keepdims is not None:
            attrs["keepdims"] = keepdims
        if axes is not None:
            if opset >= 18:
                ins.append(c.ints("axes", axes, "int64_data" if len(axes) > 1 else "raw"))
            else:
                attrs["axes"] = axes
        c.output(c.node("ReduceMean", ins, ["y"], **attrs))
        c.finish()


def network_cases():
    c = Case("net_classifier", 14, "classifier: Conv 3x3 - BatchNormalization - Relu - MaxPool 2 - Conv 3x3 - HardSwish - "
             "GlobalAveragePool - Flatten - Gemm (transB) - Softmax")
    y = c.node("Conv", [c.input("x", (1, 3, 16, 16), 0, 1), c.weight("conv1.weight", c.rand((8, 3, 3, 3), -0.4, 0.4))],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = c.node("BatchNormalization", [y] + batchnorm_params(c, 8))
    y = c.node("MaxPool", [c.node("Relu", [y])], kernel_shape=[2, 2], strides=[2, 2])
    y = c.node("Conv", [y, c.weight("conv2.weight", c.rand((8, 8, 3, 3), -0.25, 0.25), "float16_raw"),
                        c.weight("conv2.bias", c.rand((8,), -0.1, 0.1))], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    y = c.node("Flatten", [c.node("GlobalAveragePool", [c.node("HardSwish", [y])])], axis=1)
    y = c.node("Gemm", [y, c.weight("fc.weight", c.rand((5, 8)), "float_data"), c.weight("fc.bias", c.rand((5,)))],
               transB=1)
    c.output(c.node("Softmax", [y], ["probabilities"], axis=-1))
    c.finish()

    c = Case("net_tiny_unet", 13, "tiny U-Net: Conv stride 2 + Relu, Conv + Relu, Resize nearest x2, Concat with a "
             "full-resolution skip Conv, ConvTranspose (stride 2, kernel 2), Sigmoid")
    x = c.input("x", (1, 3, 16, 16), 0, 1)
    skip = c.node("Relu", [c.node("Conv", [x, c.weight("skip.weight", c.rand((4, 3, 3, 3), -0.4, 0.4)),
                                           c.weight("skip.bias", c.rand((4,), -0.1, 0.1))], kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1])])
    d = c.node("Relu", [c.node("Conv", [x, c.weight("down.weight", c.rand((8, 3, 3, 3), -0.4, 0.4)),
                                        c.weight("down.bias", c.rand((8,), -0.1, 0.1))], kernel_shape=[3, 3],
                               strides=[2, 2], pads=[1, 1, 1, 1])])
    d = c.node("Relu", [c.node("Conv", [d, c.weight("mid.weight", c.rand((8, 8, 3, 3), -0.25, 0.25)),
                                        c.weight("mid.bias", c.rand((8,), -0.1, 0.1))], kernel_shape=[3, 3],
                               pads=[1, 1, 1, 1])])
    up = c.node("Resize", [d, "", c.weight("up.scales", np.array([1, 1, 2, 2]))], mode="nearest",
                coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    y = c.node("Concat", [up, skip], axis=1)
    y = c.node("ConvTranspose", [y, c.weight("out.weight", c.rand((12, 2, 2, 2), -0.3, 0.3)),
                                 c.weight("out.bias", c.rand((2,), -0.1, 0.1))], kernel_shape=[2, 2], strides=[2, 2])
    c.output(c.node("Sigmoid", [y], ["mask"]))
    c.finish()


def shape_arithmetic_cases():
    """Shape arithmetic as exporters write it (folded when the plan is built), and the same operators on values
    computed at run time. Integer and boolean results are cast to float for the comparison."""
    c = Case("tf_same_pad_from_shape", 13, "TF-same padding from x.shape as PyTorch exports F.pad: Shape/Gather, "
             "Div/Mul/Sub/Max for the total, Mod/Equal/Where for the odd half, ConstantOfShape/Concat/Reshape/Slice/"
             "Transpose/Reshape/Cast into Pad, then Conv 3x3 stride 2")
    x = c.input("x", (1, 3, 13, 16))
    shape = c.node("Shape", [x])
    pads = []
    for axis in (2, 3):
        size = c.node("Gather", [shape, c.constant(f"axis{axis}", np.array(axis, np.int64))])
        stride, k = c.constant(f"s{axis}", np.array(2, np.int64)), c.constant(f"k{axis}", np.array(3, np.int64))
        out = c.node("Div", [c.node("Add", [size, c.constant(f"one{axis}", np.array(1, np.int64))]), stride])
        total = c.node("Sub", [c.node("Add", [c.node("Mul", [c.node("Sub", [out, c.constant(f"o{axis}", np.array(1, np.int64))]),
                                                                 stride]), k]), size])
        total = c.node("Max", [total, c.constant(f"z{axis}", np.array(0, np.int64))])
        half = c.node("Div", [total, c.constant(f"two{axis}", np.array(2, np.int64))])
        odd = c.node("Equal", [c.node("Mod", [total, c.constant(f"m{axis}", np.array(2, np.int64))]),
                               c.constant(f"u{axis}", np.array(1, np.int64))])
        end = c.node("Where", [odd, c.node("Add", [half, c.constant(f"e{axis}", np.array(1, np.int64))]), half])
        pads += [c.node("Unsqueeze", [half, c.constant(f"ax{axis}", np.array([0], np.int64))]),
                 c.node("Unsqueeze", [end, c.constant(f"bx{axis}", np.array([0], np.int64))])]
    zeros = c.node("ConstantOfShape", [c.constant("four", np.array([4], np.int64))],
                   value=numpy_helper.from_array(np.array([0], np.int64)))
    p = c.node("Concat", [pads[2], pads[3], pads[0], pads[1], zeros], axis=0)  # [w0, w1, h0, h1, 0, 0, 0, 0]
    p = c.node("Reshape", [p, c.constant("pairs", np.array([-1, 2], np.int64))])
    p = c.node("Slice", [p, c.constant("start", np.array([-1], np.int64)), c.constant("stop", np.array([INT64_MIN], np.int64)),
                         c.constant("axes", np.array([0], np.int64)), c.constant("step", np.array([-1], np.int64))])
    p = c.node("Reshape", [c.node("Transpose", [p], perm=[1, 0]), c.constant("flat", np.array([-1], np.int64))])
    y = c.node("Pad", [x, c.node("Cast", [p], to=TensorProto.INT64), c.constant("fill", np.array(0, np.float32))])
    c.output(c.node("Conv", [y, c.weight("w", c.rand((4, 3, 3, 3), -0.4, 0.4))], ["y"], kernel_shape=[3, 3], strides=[2, 2]))
    c.finish()

    c = Case("vit_cls_token_expand", 13, "ViT class token as PyTorch exports cls.expand(B, -1, -1): Shape/Gather batch, "
             "Concat [B,-1,-1], ConstantOfShape(1) * -1, Equal, Where, Expand; Concat with the tokens")
    x = c.input("x", (2, 4, 6))
    b = c.node("Unsqueeze", [c.node("Gather", [c.node("Shape", [x]), c.constant("zero", np.array(0, np.int64))]),
                             c.constant("ax0", np.array([0], np.int64))])
    target = c.node("Concat", [b, c.constant("rest", np.array([-1, -1], np.int64))], axis=0)
    ones = c.node("ConstantOfShape", [c.node("Shape", [target])], value=numpy_helper.from_array(np.array([1], np.int64)))
    minus = c.node("Mul", [ones, c.constant("neg", np.array(-1, np.int64))])
    target = c.node("Where", [c.node("Equal", [target, minus]), ones, target])
    cls = c.node("Expand", [c.weight("cls", c.rand((1, 1, 6))), target])
    c.output(c.node("Concat", [cls, x], ["y"], axis=1))
    c.finish()

    c = Case("range_sin_cos_positions", 13, "positional encoding from the sequence length: Range(0, len, 1) -> Cast -> "
             "Mul frequencies -> Sin, Cos -> Concat, added to the input; ReduceProd of the shape scales it")
    x = c.input("x", (1, 5, 8))
    length = c.node("Gather", [c.node("Shape", [x]), c.constant("one", np.array(1, np.int64))])
    pos = c.node("Cast", [c.node("Range", [c.constant("start", np.array(0, np.int64)), length,
                                           c.constant("delta", np.array(1, np.int64))])], to=F32)
    angle = c.node("Mul", [c.node("Unsqueeze", [pos, c.constant("ax1", np.array([1], np.int64))]),
                           c.weight("freq", np.array([[1.0, 0.5, 0.25, 0.125]]))])
    enc = c.node("Concat", [c.node("Sin", [angle]), c.node("Cos", [angle])], axis=1)
    count = c.node("Cast", [c.node("ReduceProd", [c.node("Shape", [x])], keepdims=0)], to=F32)
    enc = c.node("Div", [c.node("Mul", [enc, count]), c.constant("forty", np.array(40, np.float32))])
    c.output(c.node("Add", [x, enc], ["y"]))
    c.finish()

    c = Case("float_range_tile_cumsum_folded", 13, "float Range(0.5, 3.1, 0.4), Tile, CumSum, ArgMax, ScatterND on "
             "constants: all folded; the result added to the input")
    x = c.input("x", (2, 7))
    r = c.node("Range", [c.constant("a", np.array(0.5, np.float32)), c.constant("b", np.array(3.1, np.float32)),
                         c.constant("d", np.array(0.4, np.float32))])
    r = c.node("Tile", [c.node("Unsqueeze", [r, c.constant("ax0", np.array([0], np.int64))]),
                        c.constant("reps", np.array([2, 1], np.int64))])
    r = c.node("CumSum", [r, c.constant("axis", np.array(1, np.int64))])
    r = c.node("ScatterND", [r, c.constant("idx", np.array([[1, 3], [0, 0]], np.int64)),
                             c.constant("upd", np.array([-1.0, 2.0], np.float32))])
    arg = c.node("Cast", [c.node("ArgMax", [r], axis=1, keepdims=1)], to=F32)
    c.output(c.node("Add", [c.node("Add", [x, r]), arg], ["y"]))
    c.finish()

    c = Case("compare_logic_runtime", 13, "Greater, Less, Equal, Not, And, Or, Xor on run-time values, Where picking "
             "between x and -x, every mask also cast to float and concatenated")
    x = c.input("x", (1, 2, 3, 4))
    gt = c.node("Greater", [x, c.weight("hi", np.array(0.25))])
    lt = c.node("Less", [x, c.weight("lo", np.array([-0.5, 0.0, 0.5, 1.0]))])
    eq = c.node("Equal", [c.node("Floor", [c.node("Mul", [x, c.weight("two", np.array(2.0))])]), c.weight("zero", np.array(0.0))])
    masks = [gt, lt, eq, c.node("Not", [gt]), c.node("And", [gt, c.node("Not", [lt])]), c.node("Or", [lt, eq]),
             c.node("Xor", [gt, eq])]
    picked = c.node("Where", [c.node("Or", [gt, eq]), x, c.node("Neg", [x])])
    c.output(c.node("Concat", [picked] + [c.node("Cast", [m], to=F32) for m in masks], ["y"], axis=1))
    c.finish()

    c = Case("expand_tile_mod_runtime", 13, "Expand [1,3,1,4] -> [2,3,5,4], Tile [1,2,1,1] and float Mod (fmod 1) of "
             "run-time values; integer Mod (fmod 0, Python's sign) of a shape feeding a Reshape")
    x = c.input("x", (1, 3, 1, 4), -3.0, 3.0)
    e = c.node("Expand", [x, c.ints("shape", [2, 3, 5, 4])])
    t = c.node("Tile", [e, c.ints("reps", [1, 2, 1, 1])])
    m = c.node("Mod", [t, c.weight("div", np.array([1.5, -1.25, 0.75, 2.0]))], fmod=1)
    dims = c.node("Mod", [c.node("Shape", [m]), c.ints("mod", [-7, 4, 3, -3])])  # [2,6,5,4] -> [-5, 2, 2, -2]
    last = c.node("Mul", [c.node("Abs", [c.node("Slice", [dims, c.ints("s0", [3]), c.ints("s1", [4])])]), c.ints("k", [2])])
    c.output(c.node("Reshape", [m, c.node("Concat", [c.ints("minus", [-1]), last], axis=0)], ["y"]))  # [-1, 4]
    c.finish()

    c = Case("cumsum_argmax_scatter_runtime", 16, "CumSum (exclusive, reverse) along axis 2, ArgMax/ArgMin (keepdims 0, "
             "select_last_index), ScatterND with add reduction, ReduceProd of run-time values")
    x = c.input("x", (1, 3, 4, 5))
    s = c.node("CumSum", [x, c.ints("axis", np.array(2))], exclusive=1, reverse=1)
    amax = c.node("Cast", [c.node("ArgMax", [x], axis=-1, keepdims=0, select_last_index=1)], to=F32)
    amin = c.node("Cast", [c.node("ArgMin", [x], axis=1, keepdims=0)], to=F32)
    sc = c.node("ScatterND", [x, c.ints("idx", [[0, 1, 2], [0, 2, 0]]), c.weight("upd", c.rand((2, 5)))], reduction="add")
    sc = c.node("ScatterND", [sc, c.ints("idx2", [[0, 0]]), c.weight("upd2", c.rand((1, 4, 5)))])
    prod = c.node("ReduceProd", [x], axes=[3], keepdims=1)
    c.output(c.node("CumSum", [s, c.ints("axis0", np.array(-1))], ["y0"]), c.node("Identity", [amax], ["y1"]),
             c.node("Identity", [amin], ["y2"]), c.node("Mul", [sc, prod], ["y3"]))
    c.finish()

    for name, channels, desc in [
            ("if_constant_condition_then", 3, "If on Equal(Shape(x)[1], 3) (true when planned): the then branch reads x from "
             "the outer graph and multiplies it by its own initializer"),
            ("if_constant_condition_else", 4, "If on Equal(Shape(x)[1], 3) (false when planned): the else branch's shape "
             "arithmetic (Shape, Range, Greater, Where) runs in its place")]:
        c = Case(name, 13, desc)
        x = c.input("x", (1, channels, 2, 3))
        size = c.node("Gather", [c.node("Shape", [x]), c.constant("one", np.array(1, np.int64))])
        cond = c.node("Equal", [size, c.constant("three", np.array(3, np.int64))])
        then_scale = numpy_helper.from_array(c.rand((1, 1, 2, 1)).astype(np.float32), "then_scale")
        then_branch = helper.make_graph(
            [helper.make_node("Mul", [x, "then_scale"], ["then_y"], name="then_mul")], "then", [],
            [helper.make_tensor_value_info("then_y", F32, None)], [then_scale])
        else_nodes = [
            helper.make_node("Shape", [x], ["else_shape"], name="else_shape"),
            helper.make_node("Gather", ["else_shape", "else_idx"], ["else_w"], name="else_gather"),
            helper.make_node("Range", ["else_zero", "else_w", "else_step"], ["else_range"], name="else_range"),
            helper.make_node("Greater", ["else_range", "else_zero"], ["else_mask"], name="else_greater"),
            helper.make_node("Cast", ["else_mask"], ["else_maskf"], name="else_cast", to=F32),
            helper.make_node("Where", ["else_mask", x, "else_maskf"], ["else_y"], name="else_where")]
        else_branch = helper.make_graph(
            else_nodes, "else", [], [helper.make_tensor_value_info("else_y", F32, None)],
            [numpy_helper.from_array(np.array(3, np.int64), "else_idx"),
             numpy_helper.from_array(np.array(0, np.int64), "else_zero"),
             numpy_helper.from_array(np.array(1, np.int64), "else_step")])
        c.output(c.node("If", [cond], ["y"], then_branch=then_branch, else_branch=else_branch))
        c.finish()


def compact_json(value, indent=""):
    """JSON with any object or array that fits in 110 characters on one line, the rest one item per line."""
    flat = json.dumps(value)
    if len(flat) + len(indent) <= 110 or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + " "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {compact_json(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + compact_json(v, inner) for v in value) + "\n" + indent + "]"


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):  # start clean so removed cases leave no stale files
        if f.endswith((".onnx", ".npy")) or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    for group in (conv_cases, conv_transpose_cases, batchnorm_cases, activation_cases, binary_cases, pooling_cases,
                  resize_cases, shape_op_cases, math_cases, network_cases, shape_arithmetic_cases):
        group()
    names = [c["name"] for c in MANIFEST]
    assert len(names) == len(set(names)), "duplicate case names"
    manifest = {
        "generator": "Tests/Fixtures/generate_onnx_fixtures.py",
        "reference": "onnxruntime CPUExecutionProvider, graph optimizations disabled",
        "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
        "layout": "NCHW, batch 1, float32 inputs and outputs",
        "cases": MANIFEST,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        f.write(compact_json(manifest) + "\n")
    print(f"{len(MANIFEST)} cases written to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
