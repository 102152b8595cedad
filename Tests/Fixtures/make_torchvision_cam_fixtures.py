"""pytorch-grad-cam on torchvision's architectures, for `convolve model cam` (Tests/ConvolveJobsTests/CamNetworkTests.swift).

Narrow versions of torchvision's ResNet-18 (BasicBlock, layers 2-2-2-2, widths 4-8-16-24), MobileNetV3-Small
(width_mult 0.125), EfficientNet-B0 (width_mult 0.125, depth_mult 0.25: one block per stage) and DenseNet-121's
block layout halved (3-6-12-8, growth rate 2), 10 classes, seeded weights, their BatchNorm statistics gathered from
random inputs (so that activations keep a realistic scale), exported to ONNX (cam/nets/<net>.onnx) in eval mode;
one input of 1x3x112x112, not stored: value (c, y, x) is float32(((31c + 7y² + 13x² + 5xy) mod 251) / 251 · 2 − 0.8),
computed in double (`networkInput` in the test makes the same). For each net and its top class (ClassifierOutputTarget, the logit as it
is), pytorch-grad-cam's raw map after its ReLU, before scale_cam_image (cam/nets/<net>-<method>.npy, 4x4), at the
input of the last global average pool (the layer `convolve model cam` takes by default): layer4, features,
features and, for DenseNet, a ReLU module in place of torchvision's functional ReLU after `features` (the same
values; an in-place functional ReLU would break pytorch-grad-cam's gradient hook). Ablation-CAM runs with
batch_size=1: pytorch-grad-cam's AblationLayer lowers the ablation value by another 1e7 for each later item of
a batch when the layer's minimum is not 0 (after Hardswish, SiLU), which `convolve` does not copy.
torchvision is imported with its `nms`/`qnms` operators declared first (a torchvision built for another torch
fails to import otherwise). Run: python3 Tests/Fixtures/make_torchvision_cam_fixtures.py (checked with torch 2.13.0,
torchvision 0.28.0, grad-cam 1.5.7). CI never runs it: the outputs are committed.
"""
import json
import os

import numpy as np
import torch

_lib = torch.library.Library("torchvision", "DEF")
_lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

import torch.nn.functional as F  # noqa: E402
from torchvision.models import mobilenet_v3_small  # noqa: E402
from torchvision.models.densenet import DenseNet  # noqa: E402
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf  # noqa: E402
from torchvision.models.resnet import BasicBlock, ResNet  # noqa: E402
from pytorch_grad_cam import (AblationCAM, EigenCAM, GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM,  # noqa: E402
                              ScoreCAM, XGradCAM)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cam", "nets")
SIZE = 112


def narrow_resnet18():
    """torchvision's ResNet with BasicBlock and layers 2-2-2-2, channels 4-8-16-24 instead of 64-128-256-512."""
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
    model.inplanes = 4
    model.conv1 = torch.nn.Conv2d(3, 4, kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = torch.nn.BatchNorm2d(4)
    model.layer1 = model._make_layer(BasicBlock, 4, 2)
    model.layer2 = model._make_layer(BasicBlock, 8, 2, stride=2)
    model.layer3 = model._make_layer(BasicBlock, 16, 2, stride=2)
    model.layer4 = model._make_layer(BasicBlock, 24, 2, stride=2)
    model.fc = torch.nn.Linear(24, 10)
    return model, model.layer4


class Dense(DenseNet):
    def __init__(self):
        super().__init__(growth_rate=2, block_config=(3, 6, 12, 8), num_init_features=8, bn_size=2, num_classes=10)
        self.final_relu = torch.nn.ReLU()

    def forward(self, x):
        out = self.final_relu(self.features(x))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(out, (1, 1)), 1))


def nets():
    torch.manual_seed(1)
    yield "resnet18", *narrow_resnet18()
    torch.manual_seed(2)
    m = mobilenet_v3_small(width_mult=0.125, num_classes=10)
    yield "mobilenet_v3", m, m.features
    torch.manual_seed(3)
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.125, depth_mult=0.25)
    e = EfficientNet(setting, 0.2, last_channel=last, num_classes=10)
    yield "efficientnet_b0", e, e.features
    torch.manual_seed(4)
    d = Dense()
    yield "densenet", d, d.final_relu


def calibrate(model):
    """BatchNorm running statistics as the cumulative mean over random inputs (brightness and contrast vary)."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    g = torch.Generator().manual_seed(9)
    with torch.no_grad():
        for _ in range(6):
            x = torch.rand(8, 3, SIZE, SIZE, generator=g) * torch.rand(8, 1, 1, 1, generator=g) * 2 - 0.5
            model(x)
    model.eval()


def main():
    os.makedirs(HERE, exist_ok=True)
    c, y, z = np.meshgrid(np.arange(3), np.arange(SIZE), np.arange(SIZE), indexing="ij")
    pattern = ((31 * c + 7 * y * y + 13 * z * z + 5 * z * y) % 251).astype(np.float64) / 251 * 2 - 0.8
    x = torch.from_numpy(pattern.astype(np.float32)[None])
    manifest = {}
    methods = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "xgradcam": XGradCAM, "hirescam": HiResCAM,
               "layercam": LayerCAM, "eigencam": EigenCAM, "scorecam": ScoreCAM, "ablationcam": AblationCAM}
    for name, model, layer in nets():
        calibrate(model)
        torch.onnx.export(model, x, os.path.join(HERE, name + ".onnx"), input_names=["x"], output_names=["logits"],
                          opset_version=13, dynamo=False)
        with torch.no_grad():
            logits = model(x)[0].numpy()
        top = int(np.argmax(logits))
        targets = [ClassifierOutputTarget(top)]
        for method, kind in methods.items():
            cam = kind(model=model, target_layers=[layer], **({"batch_size": 1} if kind is AblationCAM else {}))
            outputs = cam.activations_and_grads(x)
            model.zero_grad()
            loss = sum(t(o) for t, o in zip(targets, outputs))
            loss.backward(retain_graph=True)
            acts = cam.activations_and_grads.activations[0].cpu().numpy()
            grads = cam.activations_and_grads.gradients[0].cpu().numpy()
            raw = np.maximum(cam.get_cam_image(x, layer, targets, acts, grads, False), 0)[0]
            if method == "eigencam":
                np.save(os.path.join(HERE, f"{name}-eigencam_projection.npy"), get_2d_projection(acts)[0].astype(np.float32))
            cam.activations_and_grads.release()
            np.save(os.path.join(HERE, f"{name}-{method}.npy"), raw.astype(np.float32))
            print(name, method, raw.shape, float(raw.max()))
        manifest[name] = {"class": top, "logits": [float(v) for v in logits], "layerShape": list(acts.shape)}
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
