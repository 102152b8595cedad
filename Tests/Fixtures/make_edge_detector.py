"""Writes top-patches/edge_detector.onnx: a tiny CNN whose channels are fixed edge detectors, for the
top-patches tests (Tests/CLITests/TopPatchesTests.swift).

    x (1x3xHxW) -> Conv "edges" 4x3x3x3, pads 1 -> Relu "edges_relu" -> MaxPool "pool" 2x2 stride 2

Channel 0 is Sobel x on the mean of R, G, B: it fires on vertical edges from dark (left) to bright (right).
Channel 1 is Sobel y (dark above, bright below), channel 2 minus Sobel x (bright to dark), channel 3 the
local mean. Checked against onnxruntime on a random input. Run: python3 Tests/Fixtures/make_edge_detector.py
"""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32)
w = np.zeros((4, 3, 3, 3), dtype=np.float32)
for c in range(3):
    w[0, c] = sobel_x / 3
    w[1, c] = sobel_x.T / 3
    w[2, c] = -sobel_x / 3
    w[3, c] = 1.0 / 27
b = np.zeros(4, dtype=np.float32)

nodes = [
    helper.make_node("Conv", ["x", "W", "B"], ["edges"], name="edges", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["edges"], ["edges_relu"], name="edges_relu"),
    helper.make_node("MaxPool", ["edges_relu"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
]
graph = helper.make_graph(
    nodes, "edge_detector",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", "width"])],
    [helper.make_tensor_value_info("pool", TensorProto.FLOAT, [1, 4, None, None])],
    [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_edge_detector.py")
model.ir_version = 8
onnx.checker.check_model(model)

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "top-patches", "edge_detector.onnx")
os.makedirs(os.path.dirname(path), exist_ok=True)
onnx.save(model, path)

# A vertical dark-to-bright step gives channel 0 its largest value, 4 * contrast, on the step.
x = np.zeros((1, 3, 8, 8), dtype=np.float32)
x[:, :, :, 4:] = 1
out = ort.InferenceSession(path).run(None, {"x": x})[0]
assert out.shape == (1, 4, 4, 4) and abs(out[0, 0].max() - 4) < 1e-6 and out[0, 0, :, 1:3].min() == 4, out
print("wrote", path)
