#!/usr/bin/env python3
"""Writes the second set of ONNX operator fixtures: Tests/Fixtures/onnx2/ (issue 21, items 2 and 3).

Transformer and normalisation operators (LayerNormalization and the decomposed pattern older exporters write,
InstanceNormalization, GroupNormalization, Gelu and its Erf/Tanh patterns, Softplus, Mish, LogSoftmax, Einsum,
the variadic Sum/Mean/Max/Min, more reductions), data movement (DepthToSpace, SpaceToDepth, GatherElements,
GatherND, TopK) and the regression cases of the operator sweep's bugs (grouped Conv with taps in the padding,
1-D ConvTranspose output_padding, output_shape larger than the unpadded size, pooling with ceil_mode and a
kernel larger than the padded input, Relu/HardSigmoid keeping NaN, Pad wrap with negative pads).

For every case NAME: NAME.onnx, NAME.input<i>.npy (float32 or int64), NAME.output<i>.npy (onnxruntime's
outputs, CPUExecutionProvider, graph optimizations disabled, one thread), and one manifest.json listing them.
Deterministic; needs numpy, onnx and onnxruntime:  python3 Tests/Fixtures/make_operator_fixtures2.py
"""
import json
import math
import os
import sys
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx2")
F32, I64 = TensorProto.FLOAT, TensorProto.INT64
MANIFEST = []


class Case:
    def __init__(self, name, opset, description):
        self.name, self.opset, self.description = name, opset, description
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.nodes, self.initializers, self.inputs, self.outputs = [], [], [], []
        self.counter = 0

    def rand(self, shape, low=-1.0, high=1.0):
        return self.rng.uniform(low, high, shape)

    def input(self, name, shape=None, low=-1.0, high=1.0, data=None):
        a = np.asarray(self.rand(shape, low, high) if data is None else data)
        a = a.astype(np.int64 if a.dtype.kind in "iub" else np.float32)
        self.inputs.append((name, a))
        return name

    def weight(self, name, a):
        a = np.asarray(a)
        self.initializers.append(numpy_helper.from_array(a.astype(np.int64 if a.dtype.kind in "iub" else np.float32), name))
        return name

    def ints(self, name, values):
        return self.weight(name, np.asarray(values, dtype=np.int64))

    def node(self, op, inputs, outputs=None, **attrs):
        self.counter += 1
        if outputs is None:
            outputs = [f"{op.lower()}_{self.counter}"]
        self.nodes.append(helper.make_node(op, list(inputs), list(outputs), name=f"{op}_{self.counter}", **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def output(self, *names):
        self.outputs.extend(names)

    def model(self):
        def info(n, a):
            return helper.make_tensor_value_info(n, I64 if a.dtype == np.int64 else F32, list(a.shape))
        graph = helper.make_graph(self.nodes, self.name, [info(n, a) for n, a in self.inputs],
                                  [helper.make_empty_tensor_value_info(n) for n in self.outputs], self.initializers)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], ir_version=8,
                                 producer_name="convolve make_operator_fixtures2.py")

    def finish(self, check=None):
        data = self.model().SerializeToString()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        results = session.run(self.outputs, dict(self.inputs))
        if check is not None:
            expected = check(*[a.astype(np.float64) if a.dtype == np.float32 else a for _, a in self.inputs])
            for r, e in zip(results, expected if isinstance(expected, tuple) else (expected,)):
                worst = float(np.nanmax(np.abs(r - e))) if r.size else 0.0
                assert worst < 1e-5 * max(1.0, float(np.nanmax(np.abs(e)))), f"{self.name}: NumPy check differs by {worst}"
        with open(os.path.join(OUT, self.name + ".onnx"), "wb") as f:
            f.write(data)
        entry = {"name": self.name, "opset": self.opset, "description": self.description, "model": self.name + ".onnx",
                 "ops": sorted({n.op_type for n in self.nodes}), "inputs": [], "outputs": []}
        for kind, items in (("input", self.inputs), ("output", list(zip(self.outputs, results)))):
            for i, (n, a) in enumerate(items):
                fname = f"{self.name}.{kind}{i}.npy"
                np.save(os.path.join(OUT, fname), a)
                entry[kind + "s"].append({"name": n, "shape": list(a.shape), "dtype": str(a.dtype), "file": fname})
        MANIFEST.append(entry)
        print(f"{self.name:44s} opset {self.opset:2d} -> {', '.join(str(list(r.shape)) for r in results)}")


# NumPy references ----------------------------------------------------------------------------------------------
def np_layernorm(x, axis, eps, scale=None, bias=None):
    axes = tuple(range(axis % x.ndim, x.ndim))
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    y = (x - m) / np.sqrt(v + eps)
    return y * (1 if scale is None else scale) + (0 if bias is None else bias)


def np_gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# Cases ---------------------------------------------------------------------------------------------------------
def normalization_cases():
    c = Case("layernorm_last_axis", 17, "LayerNormalization over the last axis, scale and bias, epsilon 1e-5")
    x, s, b = c.input("x", (2, 5, 8), -2, 2), c.weight("scale", c.rand(8, 0.5, 1.5)), c.weight("bias", c.rand(8))
    c.output(c.node("LayerNormalization", [x, s, b], ["y"], axis=-1, epsilon=1e-5))
    c.finish()
    c = Case("layernorm_axis1_rank4", 17, "LayerNormalization axis 1 of NCHW (over C, H, W), scale [C,H,W]")
    x, s, b = c.input("x", (2, 3, 4, 5), -2, 2), c.weight("scale", c.rand((3, 4, 5), 0.5, 1.5)), c.weight("bias", c.rand((3, 4, 5)))
    c.output(c.node("LayerNormalization", [x, s, b], ["y"], axis=1, epsilon=1e-6))
    c.finish()
    c = Case("layernorm_mean_invstd_outputs", 17, "LayerNormalization axis -2, no bias, Mean and InvStdDev outputs")
    x, s = c.input("x", (2, 3, 6), -3, 1), c.weight("scale", c.rand((3, 6), 0.5, 1.5))
    c.output(*c.node("LayerNormalization", [x, s], ["y", "mean", "invstd"], axis=-2, epsilon=1e-3))
    c.finish()

    def decomposed(name, opset, shape, axes, scale_shape, desc, eps=1e-5, scale_first=False):
        c = Case(name, opset, desc)
        x = c.input("x", shape, -2, 2)
        if opset >= 18:
            ax = c.ints("axes", axes)
            mean = c.node("ReduceMean", [x, ax], keepdims=1)
        else:
            mean = c.node("ReduceMean", [x], axes=axes, keepdims=1)
        d = c.node("Sub", [x, mean])
        p = c.node("Pow", [d, c.weight("two", np.float32(2))])
        var = c.node("ReduceMean", [p, ax] if opset >= 18 else [p], **({} if opset >= 18 else {"axes": axes}), keepdims=1)
        e = c.node("Add", [var, c.weight("eps", np.float32(eps))])
        r = c.node("Sqrt", [e])
        n = c.node("Div", [d, r])
        w = c.weight("w", c.rand(scale_shape, 0.5, 1.5))
        m = c.node("Mul", [w, n] if scale_first else [n, w])
        c.output(c.node("Add", [m, c.weight("b", c.rand(scale_shape))], ["y"]))
        c.finish()

    decomposed("layernorm_decomposed_opset13", 13, (1, 4, 6), [-1], (6,),
               "the LayerNorm torch.onnx writes below opset 17: ReduceMean, Sub, Pow 2, ReduceMean, Add, Sqrt, Div, Mul, Add")
    decomposed("layernorm_decomposed_channels_first", 13, (1, 4, 3, 5), [1], (4, 1, 1),
               "ConvNeXt's channels-first LayerNorm spelled out over axis 1, weight [C,1,1] first in the Mul", eps=1e-6,
               scale_first=True)
    decomposed("layernorm_decomposed_opset18_axes_input", 18, (2, 3, 8), [-1], (8,),
               "the decomposed LayerNorm with ReduceMean axes as an input (opset 18)")

    c = Case("instancenorm", 13, "InstanceNormalization of NCHW, per-channel scale and bias")
    x = c.input("x", (2, 3, 4, 5), -2, 2)
    c.output(c.node("InstanceNormalization", [x, c.weight("s", c.rand(3, 0.5, 1.5)), c.weight("b", c.rand(3))], ["y"],
                    epsilon=1e-5))
    c.finish()
    c = Case("groupnorm_as_instancenorm", 13, "torch's GroupNorm export: Reshape [N,G,-1], InstanceNormalization, "
             "Reshape back, Mul and Add per channel")
    x = c.input("x", (1, 6, 4, 4), -2, 2)
    r = c.node("Reshape", [x, c.ints("s1", [1, 2, -1])])
    i = c.node("InstanceNormalization", [r, c.weight("ones", np.ones(2)), c.weight("zeros", np.zeros(2))], epsilon=1e-5)
    r2 = c.node("Reshape", [i, c.ints("s2", [1, 6, 4, 4])])
    m = c.node("Mul", [r2, c.weight("w", c.rand((6, 1, 1), 0.5, 1.5))])
    c.output(c.node("Add", [m, c.weight("b", c.rand((6, 1, 1)))], ["y"]))
    c.finish()
    c = Case("groupnorm_opset18", 18, "GroupNormalization-18: 3 groups of 6 channels, scale and bias per group")
    x = c.input("x", (2, 6, 3, 4), -2, 2)
    c.output(c.node("GroupNormalization", [x, c.weight("s", c.rand(3, 0.5, 1.5)), c.weight("b", c.rand(3))], ["y"],
                    num_groups=3, epsilon=1e-5))
    c.finish()
    c = Case("groupnorm_opset21", 21, "GroupNormalization-21: 2 groups of 6 channels, scale and bias per channel")
    x = c.input("x", (1, 6, 3, 4), -2, 2)
    c.output(c.node("GroupNormalization", [x, c.weight("s", c.rand(6, 0.5, 1.5)), c.weight("b", c.rand(6))], ["y"],
                    num_groups=2, epsilon=1e-5))
    c.finish()


def gelu_cases():
    for approx in ("none", "tanh"):
        c = Case(f"gelu_opset20_{approx}", 20, f"Gelu-20 approximate {approx}")
        c.output(c.node("Gelu", [c.input("x", (2, 3, 17), -5, 5)], ["y"], approximate=approx))
        c.finish(check=np_gelu if approx == "none" else np_gelu_tanh)
    c = Case("gelu_erf_pattern_torch", 13, "torch's Gelu below opset 20: Div sqrt 2, Erf, Add 1, Mul x, Mul 0.5")
    x = c.input("x", (1, 4, 10), -5, 5)
    e = c.node("Erf", [c.node("Div", [x, c.weight("sqrt2", np.float32(1.4142135381698608))])])
    a = c.node("Add", [e, c.weight("one", np.float32(1))])
    c.output(c.node("Mul", [c.node("Mul", [x, a]), c.weight("half", np.float32(0.5))], ["y"]))
    c.finish(check=np_gelu)
    c = Case("gelu_erf_pattern_half_first", 13, "Gelu spelled x * 0.5 first, Mul by 1/sqrt 2, 1 + Erf")
    x = c.input("x", (1, 4, 10), -5, 5)
    h = c.node("Mul", [x, c.weight("half", np.float32(0.5))])
    e = c.node("Erf", [c.node("Mul", [x, c.weight("rsqrt2", np.float32(0.7071067690849304))])])
    c.output(c.node("Mul", [h, c.node("Add", [c.weight("one", np.float32(1)), e])], ["y"]))
    c.finish(check=np_gelu)
    c = Case("gelu_tanh_pattern_torch", 13, "torch's tanh Gelu below opset 20: x*x*x, Mul 0.044715, Add x, "
             "Mul sqrt(2/pi), Tanh, Add 1, Mul x, Mul 0.5")
    x = c.input("x", (1, 4, 10), -5, 5)
    cube = c.node("Mul", [x, c.node("Mul", [x, x])])
    inner = c.node("Add", [x, c.node("Mul", [c.weight("kappa", np.float32(0.044715)), cube])])
    t = c.node("Tanh", [c.node("Mul", [c.weight("beta", np.float32(math.sqrt(2 / math.pi))), inner])])
    c.output(c.node("Mul", [c.weight("half", np.float32(0.5)),
                            c.node("Mul", [x, c.node("Add", [c.weight("one", np.float32(1)), t])])], ["y"]))
    c.finish(check=np_gelu_tanh)
    c = Case("gelu_tanh_pattern_pow", 13, "Hugging Face's NewGELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 Pow(x, 3))))")
    x = c.input("x", (1, 4, 10), -5, 5)
    cube = c.node("Pow", [x, c.weight("three", np.float32(3))])
    inner = c.node("Add", [x, c.node("Mul", [cube, c.weight("kappa", np.float32(0.044715))])])
    t = c.node("Tanh", [c.node("Mul", [inner, c.weight("beta", np.float32(math.sqrt(2 / math.pi)))])])
    h = c.node("Mul", [c.weight("half", np.float32(0.5)), x])
    c.output(c.node("Mul", [h, c.node("Add", [t, c.weight("one", np.float32(1))])], ["y"]))
    c.finish(check=np_gelu_tanh)


def activation_cases():
    c = Case("erf", 13, "Erf")
    c.output(c.node("Erf", [c.input("x", (2, 3, 7), -3, 3)], ["y"]))
    c.finish()
    c = Case("softplus", 13, "Softplus over a wide range (large inputs must not overflow)")
    c.output(c.node("Softplus", [c.input("x", (2, 3, 7), -30, 30)], ["y"]))
    c.finish(check=lambda x: np.logaddexp(0, x))
    c = Case("mish", 18, "Mish-18")
    c.output(c.node("Mish", [c.input("x", (2, 3, 7), -8, 8)], ["y"]))
    c.finish(check=lambda x: x * np.tanh(np.logaddexp(0, x)))
    c = Case("logsoftmax_last_axis", 13, "LogSoftmax-13 axis -1")
    c.output(c.node("LogSoftmax", [c.input("x", (2, 3, 7), -6, 6)], ["y"]))
    c.finish()
    c = Case("logsoftmax_axis1", 13, "LogSoftmax-13 axis 1 (not the last)")
    c.output(c.node("LogSoftmax", [c.input("x", (2, 5, 3), -6, 6)], ["y"], axis=1))
    c.finish()
    c = Case("logsoftmax_opset11_coerced", 11, "LogSoftmax-11 axis 1: the input flattened to 2-D at axis 1")
    c.output(c.node("LogSoftmax", [c.input("x", (2, 3, 4), -6, 6)], ["y"], axis=1))
    c.finish()
    for op in ("Sum", "Mean", "Max", "Min"):
        c = Case(f"{op.lower()}_three_inputs_broadcast", 13, f"{op} of three inputs [2,3,4], [3,1], [4] (broadcast)")
        ins = [c.input("a", (2, 3, 4), -2, 2), c.input("b", (3, 1), -2, 2), c.input("c", (4,), -2, 2)]
        c.output(c.node(op, ins, ["y"]))
        c.finish()
    c = Case("sum_one_input", 13, "Sum of one input (a copy)")
    c.output(c.node("Sum", [c.input("a", (2, 3))], ["y"]))
    c.finish()
    c = Case("max_four_inputs_with_constant", 13, "Max of three run-time inputs and a [4] initializer")
    ins = [c.input("a", (3, 4)), c.input("b", (3, 4)), c.weight("w", c.rand(4)), c.input("d", (1, 4))]
    c.output(c.node("Max", ins, ["y"]))
    c.finish()


def einsum_cases():
    for name, eq, shapes in [
        ("einsum_batched_matmul", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("einsum_attention_scores", "bhid,bhjd->bhij", [(1, 2, 5, 4), (1, 2, 6, 4)]),
        ("einsum_attention_values", "bhij,bhjd->bhid", [(1, 2, 5, 6), (1, 2, 6, 4)]),
        ("einsum_outer_product", "i,j->ij", [(5,), (3,)]),
        ("einsum_transpose", "ij->ji", [(3, 5)]),
        ("einsum_matrix_vector", "ij,j->i", [(4, 6), (6,)]),
        ("einsum_implicit_output", "ij,jk", [(3, 4), (4, 2)]),
        ("einsum_ellipsis_matmul", "...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
        ("einsum_maxvit_relative", "bhwc,hkc->bhwk", [(2, 3, 4, 5), (3, 6, 5)]),
        ("einsum_sum_axis", "bij->bj", [(2, 3, 4)]),
    ]:
        c = Case(name, 12, f"Einsum '{eq}'")
        ins = [c.input(f"x{i}", s) for i, s in enumerate(shapes)]
        c.output(c.node("Einsum", ins, ["y"], equation=eq))
        c.finish(check=lambda *xs, eq=eq: np.einsum(eq, *xs))


def reduce_cases():
    for op, low, ref in [("ReduceL2", -2, None), ("ReduceL1", -2, None), ("ReduceLogSumExp", -4, None),
                         ("ReduceSumSquare", -2, None)]:
        c = Case(f"{op.lower()}_axes_attribute", 13, f"{op}-13 axes [1, -1] keepdims 1")
        c.output(c.node(op, [c.input("x", (2, 3, 4, 5), low, 2)], ["y"], axes=[1, -1]))
        c.finish()
        c = Case(f"{op.lower()}_opset18_axes_input", 18, f"{op}-18 axes input [2], keepdims 0")
        c.output(c.node(op, [c.input("x", (2, 3, 4), low, 2), c.ints("axes", [2])], ["y"], keepdims=0))
        c.finish()
    c = Case("reducelogsumexp_large", 13, "ReduceLogSumExp of values near 100 (needs the max subtracted)")
    c.output(c.node("ReduceLogSumExp", [c.input("x", (2, 6), 95, 105)], ["y"], axes=[1]))
    c.finish()


def movement_cases():
    for mode in ("DCR", "CRD"):
        c = Case(f"depthtospace_{mode.lower()}", 13, f"DepthToSpace blocksize 2 mode {mode}")
        c.output(c.node("DepthToSpace", [c.input("x", (2, 8, 3, 4))], ["y"], blocksize=2, mode=mode))
        c.finish()
    c = Case("spacetodepth", 13, "SpaceToDepth blocksize 2")
    c.output(c.node("SpaceToDepth", [c.input("x", (1, 3, 4, 6))], ["y"], blocksize=2))
    c.finish()
    c = Case("gatherelements_axis1", 13, "GatherElements axis 1 with run-time indices, some negative")
    idx = np.random.default_rng(1).integers(-3, 3, (2, 4, 5))
    c.output(c.node("GatherElements", [c.input("x", (2, 3, 5)), c.input("i", data=idx)], ["y"], axis=1))
    c.finish()
    c = Case("gatherelements_constant_indices", 13, "GatherElements axis -1 with initializer indices")
    idx = np.random.default_rng(2).integers(0, 6, (3, 2))
    c.output(c.node("GatherElements", [c.input("x", (3, 6)), c.weight("i", idx)], ["y"], axis=-1))
    c.finish()
    c = Case("gathernd", 13, "GatherND batch_dims 0, index tuples of length 2 (slices of the last axis)")
    idx = np.array([[[0, 1], [1, 2]], [[1, 0], [0, -1]]])
    c.output(c.node("GatherND", [c.input("x", (2, 3, 4)), c.input("i", data=idx)], ["y"]))
    c.finish()
    c = Case("gathernd_batch_dims1", 13, "GatherND batch_dims 1, single elements")
    idx = np.array([[[0, 1], [2, 3]], [[1, 1], [0, 0]]])
    c.output(c.node("GatherND", [c.input("x", (2, 3, 4)), c.weight("i", idx)], ["y"], batch_dims=1))
    c.finish()
    c = Case("topk_largest_last_axis", 13, "TopK k 3 largest along the last axis (values and indices)")
    x = c.input("x", data=np.random.default_rng(3).permutation(40).reshape(2, 4, 5) / 7.0)
    c.output(*c.node("TopK", [x, c.ints("k", [3])], ["values", "indices"]))
    c.finish()
    c = Case("topk_smallest_axis1", 13, "TopK k 2 smallest along axis 1")
    x = c.input("x", data=np.random.default_rng(4).permutation(36).reshape(3, 4, 3) / 5.0)
    c.output(*c.node("TopK", [x, c.ints("k", [2])], ["values", "indices"], axis=1, largest=0))
    c.finish()
    c = Case("expand_where_tile_float_runtime", 13, "Expand, Where (run-time condition) and Tile of float data")
    x, y = c.input("x", (3, 1)), c.input("y", (1, 4))
    e = c.node("Expand", [x, c.ints("shape", [2, 3, 4])])
    w = c.node("Where", [c.node("Greater", [e, y]), e, y])
    c.output(c.node("Tile", [w, c.ints("reps", [1, 2, 1])], ["out"]))
    c.finish()


def resize_cubic_cases():
    for name, opset, x, out, attrs in [
        ("resize_cubic_half_pixel_up", 13, (1, 2, 5, 6), (1, 2, 9, 13), {}),
        ("resize_cubic_pytorch_half_pixel_down", 13, (1, 2, 9, 11), (1, 2, 4, 5),
         {"coordinate_transformation_mode": "pytorch_half_pixel"}),
        ("resize_cubic_align_corners", 11, (1, 3, 4, 5), (1, 3, 7, 9), {"coordinate_transformation_mode": "align_corners"}),
        ("resize_cubic_tf_asymmetric_exclude_outside", 13, (1, 2, 5, 5), (1, 2, 11, 8),
         {"coordinate_transformation_mode": "asymmetric", "cubic_coeff_a": -0.5, "exclude_outside": 1}),
    ]:
        c = Case(name, opset, f"Resize cubic {attrs or 'defaults (half_pixel, a -0.75)'}, sizes {out[2:]}")
        ins = [c.input("x", x), "", "", c.ints("sizes", out)]
        if opset == 11:
            ins[1] = c.weight("roi", np.zeros(0))
            ins[2] = c.weight("scales", np.zeros(0))
        c.output(c.node("Resize", ins, ["y"], mode="cubic", **attrs))
        c.finish()


def resize_antialias_cases():
    for name, mode, x, out, attrs in [
        ("resize_antialias_linear_down", "linear", (1, 2, 12, 15), (1, 2, 5, 4), {}),
        ("resize_antialias_linear_pytorch_down", "linear", (1, 2, 11, 9), (1, 2, 4, 6),
         {"coordinate_transformation_mode": "pytorch_half_pixel"}),
        ("resize_antialias_cubic_down", "cubic", (1, 2, 13, 12), (1, 2, 5, 4), {}),
        ("resize_antialias_cubic_down_a05_exclude", "cubic", (1, 2, 13, 12), (1, 2, 6, 5),
         {"cubic_coeff_a": -0.5, "exclude_outside": 1}),
        ("resize_antialias_linear_up", "linear", (1, 2, 4, 5), (1, 2, 7, 9), {}),
    ]:
        c = Case(name, 18, f"Resize-18 {mode} antialias {attrs or ''} sizes {out[2:]}")
        c.output(c.node("Resize", [c.input("x", x), "", "", c.ints("sizes", out)], ["y"], mode=mode, antialias=1, **attrs))
        c.finish()


def bug_cases():
    c = Case("conv_group2_taps_in_padding", 13, "grouped Conv (2 groups of 2) on a 1-pixel-wide input, kernel 3x5, "
             "pads 1,2: some taps of every output column fall in the padding")
    c.output(c.node("Conv", [c.input("x", (1, 4, 5, 1)), c.weight("w", c.rand((6, 2, 3, 5))), c.weight("b", c.rand(6))],
                    ["y"], group=2, pads=[1, 2, 1, 2]))
    c.finish()
    c = Case("conv_group3_wide_kernel_stride2", 13, "grouped Conv (3 groups), kernel 3x7 wider than the input, "
             "strides 2, pads 1,3")
    c.output(c.node("Conv", [c.input("x", (1, 6, 6, 3)), c.weight("w", c.rand((9, 2, 3, 7))), c.weight("b", c.rand(9))],
                    ["y"], group=3, strides=[2, 2], pads=[1, 3, 1, 3]))
    c.finish()
    c = Case("convtranspose_1d_output_padding", 13, "1-D ConvTranspose strides 2 output_padding 1")
    c.output(c.node("ConvTranspose", [c.input("x", (1, 2, 5)), c.weight("w", c.rand((2, 3, 3))), c.weight("b", c.rand(3))],
                    ["y"], strides=[2], output_padding=[1]))
    c.finish()
    c = Case("convtranspose_output_shape_larger", 13, "ConvTranspose output_shape 8x8, larger than the unpadded 7x7 (ORT takes up to stride - 1 more)")
    c.output(c.node("ConvTranspose", [c.input("x", (1, 2, 3, 3)), c.weight("w", c.rand((2, 2, 3, 3))), c.weight("b", c.rand(2))],
                    ["y"], strides=[2, 2], output_shape=[8, 8]))
    c.finish()
    for op, extra in [("MaxPool", {}), ("AveragePool", {"count_include_pad": 0}), ("AveragePool", {"count_include_pad": 1})]:
        tag = op.lower() + ("" if not extra else f"_include_pad{extra['count_include_pad']}")
        c = Case(f"{tag}_ceil_kernel_larger", 13, f"{op} ceil_mode 1, kernel 4x4 on a 3x3 input with pads 0,0,0,0 "
                 "(larger than the padded input), strides 2" + (f", count_include_pad {extra['count_include_pad']}" if extra else ""))
        c.output(c.node(op, [c.input("x", (1, 2, 3, 3))], ["y"], kernel_shape=[4, 4], strides=[2, 2], ceil_mode=1, **extra))
        c.finish()
        c = Case(f"{tag}_ceil_kernel_larger_padded", 13, f"{op} ceil_mode 1, kernel 5x3 on a 2x5 input with pads 1,0,1,0, strides 3"
                 + (f", count_include_pad {extra['count_include_pad']}" if extra else ""))
        c.output(c.node(op, [c.input("x", (1, 2, 2, 5))], ["y"], kernel_shape=[5, 3], strides=[3, 3], pads=[1, 0, 1, 0],
                        ceil_mode=1, **extra))
        c.finish()
    nan = np.array([np.nan, -1.0, 0.5, np.nan, 2.0, -0.25, np.nan, 0.0], dtype=np.float32).reshape(1, 2, 2, 2)
    c = Case("relu_nan", 13, "Relu keeps NaN")
    c.output(c.node("Relu", [c.input("x", data=nan)], ["y"]))
    c.finish()
    c = Case("hardsigmoid_nan", 13, "HardSigmoid keeps NaN")
    c.output(c.node("HardSigmoid", [c.input("x", data=nan)], ["y"]))
    c.finish()
    data = np.random.default_rng(5).uniform(-1, 1, (1, 3, 6, 7)).astype(np.float32)
    data[0, 1, 2, 3] = np.nan
    for act in ("Relu", "HardSigmoid", "Clip"):
        c = Case(f"conv_{act.lower()}_nan", 13, f"Conv then {act} (fused into the C kernels) keep a NaN input's NaNs")
        y = c.node("Conv", [c.input("x", data=data), c.weight("w", c.rand((4, 3, 3, 3))), c.weight("b", c.rand(4))],
                   pads=[1, 1, 1, 1])
        ins = [y] + ([c.weight("lo", np.float32(0)), c.weight("hi", np.float32(6))] if act == "Clip" else [])
        c.output(c.node(act, ins, ["y"]))
        c.finish()
    c = Case("maxpool_storage_order1", 13, "MaxPool with storage_order 1 and no Indices output (the order is then moot)")
    c.output(c.node("MaxPool", [c.input("x", (1, 2, 5, 6))], ["y"], kernel_shape=[2, 2], storage_order=1))
    c.finish()
    for order in (0, 1):
        c = Case(f"maxpool_indices_storage_order{order}", 12, f"MaxPool-12 with the Indices output, storage_order {order}, "
                 "kernel 3x2, strides 2, pads 1,0,1,1, dilations 1,2, batch 2")
        x = c.input("x", data=np.random.default_rng(6 + order).permutation(2 * 2 * 7 * 8).reshape(2, 2, 7, 8) / 10.0)
        c.output(*c.node("MaxPool", [x], ["y", "indices"], kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1],
                         dilations=[1, 2], storage_order=order))
        c.finish()
    c = Case("pad_wrap_negative", 19, "Pad-19 wrap with negative pads: crop first, then wrap what remains")
    x = c.input("x", (1, 2, 4, 6))
    c.output(c.node("Pad", [x, c.ints("pads", [0, 0, -1, 2, 0, 0, 2, -3])], ["y"], mode="wrap"))
    c.finish()


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".onnx", ".npy")) or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}, numpy {np.__version__}")
    for group in (normalization_cases, gelu_cases, activation_cases, einsum_cases, reduce_cases, movement_cases, resize_cubic_cases, resize_antialias_cases, bug_cases):
        group()
    manifest = {"generator": "Tests/Fixtures/make_operator_fixtures2.py",
                "reference": "onnxruntime CPUExecutionProvider, graph optimizations disabled",
                "versions": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
                "cases": MANIFEST}
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"{len(MANIFEST)} cases written to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
