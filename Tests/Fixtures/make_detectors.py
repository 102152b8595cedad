#!/usr/bin/env python3
"""Writes detector fixtures with sizes known only at run time: Tests/Fixtures/detectors/ (issue 21).

Two kinds of cases, each NAME.onnx, NAME.input<i>.npy, NAME.output<i>.npy (onnxruntime's outputs) and one line of
manifest.json, in the format of Tests/Fixtures/onnx2/:
- hand-built graphs (make_operator_fixtures2.Case): NonMaxSuppression (corners and centre boxes, per class,
  batches, ties, thresholds left out, nothing selected), NonZero of computed values, TopK with a computed K,
  ScatterND, Gather/Reshape/Concat/ConstantOfShape sized by those, and the empty results they can give;
- torchvision's SSDlite (MobileNetV3-Large backbone, SSDLite head, its post-processing in the graph: score
  threshold, per-class TopK, batched NMS, boxes scaled back to the photo) in a narrow configuration (width 0.25,
  3 classes, 64x64), with seeded random weights, exported as people export it: torch.onnx.export at opset 11
  and 17 (TorchScript exporter). Scores are checked to be apart by more than float rounding so that the order of
  the detections is decided by the model, not by rounding.

`--full` also exports the full-size ssdlite320_mobilenet_v3_large (91 classes, random weights, 13 MB) to
/tmp/ssdlite320.onnx with its input and onnxruntime's outputs beside it, for a run by hand; it is not committed.

torchvision's compiled operators do not load against this torch (a wheel for another build: "operator
torchvision::nms does not exist"); the script defines torchvision::nms in Python with torch.library before
importing torchvision (the ONNX export writes it as NonMaxSuppression either way).
Needs torch (CPU), torchvision, onnx, onnxruntime, numpy:  python3 Tests/Fixtures/make_detectors.py [--full]
"""
import io
import json
import os
import sys
from functools import partial

import numpy as np
import onnx
import onnxruntime as ort
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_operator_fixtures2 as fx  # noqa: E402

OUT = os.path.join(HERE, "detectors")
fx.OUT = OUT
fx.MANIFEST = []
F32, I64 = fx.F32, fx.I64


def define_torchvision_nms():
    """torchvision::nms (and qnms) in Python, so that torchvision imports and traces without its C++ library."""
    if hasattr(torch.ops, "torchvision") and hasattr(torch.ops.torchvision, "nms"):
        return
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

    def nms(dets, scores, iou_threshold):
        order = torch.argsort(scores, descending=True, stable=True)
        keep = []
        x0, y0, x1, y1 = dets.unbind(1)
        area = (x1 - x0) * (y1 - y0)
        suppressed = torch.zeros(len(order), dtype=torch.bool)
        for a, i in enumerate(order.tolist()):
            if suppressed[a]:
                continue
            keep.append(i)
            rest = order[a + 1:]
            w = (torch.minimum(x1[i], x1[rest]) - torch.maximum(x0[i], x0[rest])).clamp(min=0)
            h = (torch.minimum(y1[i], y1[rest]) - torch.maximum(y0[i], y0[rest])).clamp(min=0)
            inter = w * h
            suppressed[a + 1:] |= inter / (area[i] + area[rest] - inter) > iou_threshold
        return torch.tensor(keep, dtype=torch.int64)

    lib.impl("nms", nms, "CPU")
    lib.impl("qnms", nms, "CPU")
    define_torchvision_nms.lib = lib  # the library lives as long as the process


define_torchvision_nms()
import torchvision  # noqa: E402
import torchvision.extension  # noqa: E402



def _has_ops() -> bool:
    """torchvision's own check, which TorchScript compiles inside batched_nms: the operators are there now."""
    return True


torchvision.extension._has_ops = _has_ops
from torchvision.models import mobilenet_v3_large  # noqa: E402
from torchvision.models.detection import ssdlite320_mobilenet_v3_large  # noqa: E402
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator  # noqa: E402
from torchvision.models.detection.ssd import SSD  # noqa: E402
from torchvision.models.detection import _utils as det_utils  # noqa: E402
from torchvision.models.detection.ssdlite import SSDLiteFeatureExtractorMobileNet, SSDLiteHead  # noqa: E402


# Hand-built graphs ---------------------------------------------------------------------------------------------
def random_boxes(rng, n, corners=True, extent=10.0):
    """n boxes clustered so that many overlap; corners [y1, x1, y2, x2] (some given as the other diagonal) or
    centres [x, y, w, h]."""
    centre = rng.uniform(0, extent, (n, 2)) * 0.4 + rng.integers(0, 3, (n, 1)) * extent * 0.3
    size = rng.uniform(0.5, 3.0, (n, 2))
    if not corners:
        return np.concatenate([centre, size], 1).astype(np.float32)
    a, b = centre - size / 2, centre + size / 2
    boxes = np.concatenate([a[:, ::-1], b[:, ::-1]], 1)
    flip = rng.random(n) < 0.3
    boxes[flip] = boxes[flip][:, [2, 3, 0, 1]]
    return boxes.astype(np.float32)


def nms_cases():
    def case(name, desc, batches=1, classes=3, n=24, center=0, inputs=("max", "iou", "score"), max_out=4, iou=0.4, score=0.3,
             ties=False):
        c = fx.Case(name, 11, desc)
        boxes = np.stack([random_boxes(c.rng, n, corners=center == 0) for _ in range(batches)])
        scores = c.rng.uniform(0, 1, (batches, classes, n)).astype(np.float32)
        if ties:
            scores = np.round(scores * 4) / 4
        b, s = c.input("boxes", data=boxes), c.input("scores", data=scores)
        args = [b, s]
        values = {"max": c.ints("max_out", [max_out]), "iou": c.weight("iou", np.array([iou], np.float32)),
                  "score": c.weight("score_threshold", np.array([score], np.float32))}
        for key in ("max", "iou", "score"):
            args.append(values[key] if key in inputs else "")
        while args and args[-1] == "":
            args.pop()
        c.output(c.node("NonMaxSuppression", args, ["selected"], center_point_box=center))
        c.finish()

    case("nms_corners_per_class", "NonMaxSuppression, [y1,x1,y2,x2] corners (some the other diagonal), 3 classes")
    case("nms_center_point_box", "NonMaxSuppression with center_point_box 1: [x,y,w,h]", center=1)
    case("nms_two_batches", "NonMaxSuppression over 2 batches of 2 classes", batches=2, classes=2, max_out=6)
    case("nms_tied_scores", "NonMaxSuppression with scores rounded to quarters: ties go to the lower box index", ties=True,
         max_out=10, score=0.1)
    case("nms_no_thresholds", "NonMaxSuppression with only max_output_boxes_per_class: IoU threshold 0, no score threshold",
         inputs=("max",), max_out=5)
    case("nms_max_zero", "NonMaxSuppression without max_output_boxes_per_class: nothing selected", inputs=())
    case("nms_iou_one", "NonMaxSuppression with IoU threshold 1: only the score threshold and the count select", iou=1.0,
         max_out=30, score=0.5)


def dynamic_cases():
    c = fx.Case("nonzero_of_computed_mask", 13, "NonZero of x > 0.3 computed at run time, the values gathered by GatherND")
    x = c.input("x", (3, 5))
    mask = c.node("Greater", [x, c.weight("t", np.float32(0.3))])
    idx = c.node("NonZero", [mask], ["indices"])
    values = c.node("GatherND", [x, c.node("Transpose", [idx], perm=[1, 0])], ["values"])
    c.output(idx, values)
    c.finish()

    # torchvision's per-class selection: scores above a threshold, the k = min(n, 5) best by TopK, their boxes.
    c = fx.Case("topk_of_computed_k", 13, "TopK with K = min(count above threshold, 5), computed at run time; boxes gathered")
    s, boxes = c.input("scores", (12,), 0, 1), c.input("boxes", (12, 4), 0, 10)
    keep = c.node("Squeeze", [c.node("NonZero", [c.node("Greater", [s, c.weight("t", np.float32(0.4))])]), c.ints("ax0", [0])])
    kept = c.node("Gather", [s, keep], axis=0)
    n = c.node("Gather", [c.node("Shape", [kept]), c.ints("zero", [0])], axis=0)
    k = c.node("ReduceMin", [c.node("Concat", [n, c.ints("five", [5])], axis=0)], keepdims=1)
    top, order = c.node("TopK", [kept, k], ["top", "order"], axis=0)
    picked = c.node("Gather", [c.node("Gather", [boxes, keep], axis=0), order], ["picked"], axis=0)
    c.output(top, order, picked)
    c.finish()

    c = fx.Case("runtime_shapes_reshape_concat", 13,
                "Reshape, Concat, ConstantOfShape and Expand sized by a NonZero count: labels filled per class, boxes joined")
    s = c.input("scores", (2, 8), 0, 1)
    parts, labels = [], []
    for cls in range(2):
        row = c.node("Gather", [s, c.ints(f"c{cls}", cls)], axis=0)
        keep = c.node("Reshape", [c.node("NonZero", [c.node("Greater", [row, c.weight(f"t{cls}", np.float32(0.5))])]), c.ints(f"flat{cls}", [-1])])
        picked = c.node("Gather", [row, keep], axis=0)
        parts.append(picked)
        fill = helper_tensor(np.array([cls + 1], np.int64))
        labels.append(c.node("ConstantOfShape", [c.node("Shape", [picked])], value=fill))
    joined = c.node("Concat", parts, ["joined"], axis=0)
    lab = c.node("Concat", labels, ["labels"], axis=0)
    grid = c.node("Expand", [c.node("Unsqueeze", [joined, c.ints("ax1", [1])]), c.node("Concat", [c.node("Shape", [joined]), c.ints("three", [3])], axis=0)], ["grid"])
    c.output(joined, lab, grid)
    c.finish()

    c = fx.Case("scatternd_runtime_indices", 13, "ScatterND at the indices of the values above 0.2, updates computed from them")
    x = c.input("x", (4, 3))
    idx = c.node("Transpose", [c.node("NonZero", [c.node("Greater", [x, c.weight("t", np.float32(0.2))])])], perm=[1, 0])
    upd = c.node("Mul", [c.node("GatherND", [x, idx]), c.weight("k", np.float32(-10))])
    c.output(c.node("ScatterND", [x, idx, upd], ["scattered"]))
    c.finish()

    c = fx.Case("empty_selection", 13, "nothing above the threshold: zero-length NonZero, Gather, TopK (K 0), NMS and Concat")
    s, boxes = c.input("scores", (6,), 0, 0.5), c.input("boxes", (6, 4), 0, 10)
    keep = c.node("Reshape", [c.node("NonZero", [c.node("Greater", [s, c.weight("t", np.float32(0.9))])]), c.ints("flat", [-1])])
    kept, kb = c.node("Gather", [s, keep], axis=0), c.node("Gather", [boxes, keep], axis=0)
    k = c.node("Shape", [kept])
    top, order = c.node("TopK", [kept, k], ["top", "order"])
    sel = c.node("NonMaxSuppression", [c.node("Unsqueeze", [kb, c.ints("a0", [0])]),
                                       c.node("Unsqueeze", [c.node("Unsqueeze", [kept, c.ints("a0b", [0])]), c.ints("a0c", [0])]),
                                       c.ints("max", [10]), c.weight("iou", np.array([0.5], np.float32))], ["selected"])
    c.output(top, order, sel, c.node("Concat", [kept, c.weight("tail", np.array([7.0], np.float32))], ["joined"], axis=0))
    c.finish()


def helper_tensor(a):
    return onnx.numpy_helper.from_array(a, "value")


# torchvision's SSDlite -----------------------------------------------------------------------------------------
def narrow_ssdlite(num_classes=3, width=0.25, size=64, seed=0):
    """ssdlite320_mobilenet_v3_large's builder with a narrower backbone and head, fewer classes and a smaller
    input; the same modules and post-processing. At 64x64 there are 144 anchors, fewer than the 300 candidates
    per class and the 300 detections kept, so that no TopK or count boundary depends on float rounding."""
    torch.manual_seed(seed)
    norm = partial(torch.nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = mobilenet_v3_large(weights=None, norm_layer=norm, reduced_tail=True, width_mult=width)
    features = backbone.features
    stages = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]
    extractor = SSDLiteFeatureExtractorMobileNet(features, stages[-2], norm, width_mult=width)
    anchors = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    out_channels = det_utils.retrieve_out_channels(extractor, (size, size))
    model = SSD(extractor, anchors, (size, size), num_classes,
                head=SSDLiteHead(out_channels, anchors.num_anchors_per_location(), num_classes, norm),
                score_thresh=0.001, nms_thresh=0.55, detections_per_img=300, topk_candidates=300,
                image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    return realistic(model, seed)


def realistic(model, seed):
    """BatchNorm statistics from a few random images (so that no layer's output vanishes or explodes), then eval."""
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = None
                m.reset_running_stats()
        model.train()
        backbone = model.backbone
        for _ in range(3):
            backbone(torch.rand(2, 3, 96, 96, generator=g) * 2 - 1)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
    return model.eval()


def photo(height, width, seed):
    """A smooth random picture in [0, 1] (a few blobs), 1 x 3 x H x W."""
    g = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    img = np.zeros((3, height, width))
    for _ in range(6):
        cy, cx, r = g.uniform(0, 1, 3)
        img += g.uniform(0, 1, (3, 1, 1)) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (0.02 + 0.1 * r))
    return (img / img.max())[None].astype(np.float32)


def session(data):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def export(model, x, opset):
    buffer = io.BytesIO()
    torch.onnx.export(model, (x,), buffer, opset_version=opset, input_names=["images"],
                      output_names=["boxes", "scores", "labels"], dynamo=False)
    return buffer.getvalue()


def check_against_torch(model, x, results, name):
    with torch.no_grad():
        ref = model(x)[0]
    for key, r in zip(("boxes", "scores", "labels"), results):
        e = ref[key].numpy()
        assert r.shape == e.shape, f"{name}: {key} {r.shape} vs PyTorch {e.shape}"
        assert np.allclose(r, e, atol=1e-3 * max(1, float(np.abs(e).max(initial=0)))), f"{name}: {key} differs from PyTorch"


def ssdlite_cases():
    for opset in (11, 17):
        name = f"ssdlite_narrow_opset{opset}"
        for seed in range(20):
            model = narrow_ssdlite(seed=seed)
            x = torch.from_numpy(photo(72, 96, seed))
            data = export(model, x, opset)
            results = session(data).run(None, {"images": x.numpy()})
            scores = np.sort(results[1])
            gap = float(np.min(np.diff(scores))) if len(scores) > 1 else 1.0
            if 10 <= len(scores) and gap > 2e-5:
                break
            print(f"  seed {seed}: {len(scores)} detections, closest scores {gap:.2g} apart; next seed")
        check_against_torch(model, x, results, name)
        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(data)
        entry = {"name": name, "opset": opset, "model": name + ".onnx",
                 "description": f"torchvision SSDlite (MobileNetV3-Large x0.25, 3 classes, 64x64, seed {seed}) with its post-processing, "
                                "exported by torch.onnx.export (TorchScript)",
                 "ops": sorted({n.op_type for n in onnx.load_from_string(data).graph.node}), "inputs": [], "outputs": []}
        np.save(os.path.join(OUT, name + ".input0.npy"), x.numpy())
        entry["inputs"].append({"name": "images", "shape": list(x.shape), "dtype": "float32", "file": name + ".input0.npy"})
        for i, (key, r) in enumerate(zip(("boxes", "scores", "labels"), results)):
            np.save(os.path.join(OUT, f"{name}.output{i}.npy"), r)
            entry["outputs"].append({"name": key, "shape": list(r.shape), "dtype": str(r.dtype), "file": f"{name}.output{i}.npy"})
        fx.MANIFEST.append(entry)
        print(f"{name:44s} opset {opset} {len(data) // 1024} KB, {len(results[1])} detections, ops: {' '.join(entry['ops'])}")


def full_ssdlite():
    """The full-size network, random weights, as a new user exports it; written to /tmp, not committed."""
    model = realistic(ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None), 1)
    x = torch.from_numpy(photo(320, 320, 1))
    # torch's default exporter (dynamo=True) refuses it (torch 2.13: "TorchExportError: Failed to export the model
    # with torch.export", strict and non-strict: the post-processing's sizes depend on the data), so people export
    # it with the TorchScript exporter, as here.
    data = export(model, x, 17)
    with open("/tmp/ssdlite320.onnx", "wb") as f:
        f.write(data)
    np.save("/tmp/ssdlite320.input.npy", x.numpy())
    results = session(data).run(None, {"images": x.numpy()})
    for key, r in zip(("boxes", "scores", "labels"), results):
        np.save(f"/tmp/ssdlite320.{key}.npy", r)
    try:
        check_against_torch(model, x, results, "ssdlite320")
    except AssertionError as e:  # thousands of near-equal random scores: the order of ties may differ from PyTorch's
        print(f"note: {e}")
    print(f"full SSDlite: /tmp/ssdlite320.onnx {len(data) // 1024} KB, {len(results[1])} detections")


def main():
    if "--full" in sys.argv:
        return full_ssdlite()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith((".onnx", ".npy")) or f == "manifest.json":
            os.remove(os.path.join(OUT, f))
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    nms_cases()
    dynamic_cases()
    ssdlite_cases()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_detectors.py", "reference": "onnxruntime CPUExecutionProvider, optimizations disabled",
                   "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                                "onnxruntime": ort.__version__}, "cases": fx.MANIFEST}, f, indent=1)
        f.write("\n")
    print(f"{len(fx.MANIFEST)} cases written to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
