"""pytorch-grad-cam's maps of a segmenter for `convolve model cam --target` (Tests/ConvolveJobsTests/CamSegmentationTests.swift).

A tiny seeded fully convolutional network (3 -> 8 -> 8 -> 4 classes, 3x3 convolutions and a 1x1 head, stride 2 in
the middle and a bilinear upsampling back) is exported to ONNX (cam/seg/tiny_fcn.onnx) with one input
(cam/seg/input.npy, 1x3x16x16); its output is 1x4x16x16. For two targets, pytorch-grad-cam's
SemanticSegmentationTarget(category, mask):
- argmax: the class that is the argmax at the second most pixels (the first, 0, covers most of the input),
  mask = (argmax == class) (pytorch-grad-cam's segmentation tutorial);
- box: class 1 (the argmax nowhere) over the box x 3..10, y 5..12 (x0,y0,x1,y1 = 3,5,11,13),
each method's raw map at the second ReLU (1x8x8x8) after its ReLU, before scale_cam_image
(cam/seg/<target>-<method>.npy, 8x8). manifest.json names the classes. Run:
python3 Tests/Fixtures/make_segmentation_cam_fixtures.py (checked with torch 2.13.0, grad-cam 1.5.7). CI never runs
it: the outputs are committed.
"""
import json
import os

import numpy as np
import torch

from make_attribution_fixtures import HERE  # also stands in for a broken torchvision

from pytorch_grad_cam import AblationCAM, GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, ScoreCAM, XGradCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import SemanticSegmentationTarget  # noqa: E402

OUT = os.path.join(HERE, "seg")


class TinyFCN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.relu2 = torch.nn.ReLU()
        self.head = torch.nn.Conv2d(8, 4, 1)

    def forward(self, x):
        y = self.head(self.relu2(self.conv2(self.relu1(self.conv1(x)))))
        return torch.nn.functional.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(11)
    model = TinyFCN().eval()
    x = torch.rand(1, 3, 16, 16)
    torch.onnx.export(model, x, os.path.join(OUT, "tiny_fcn.onnx"), input_names=["x"], output_names=["segments"],
                      opset_version=13, dynamo=False)
    np.save(os.path.join(OUT, "input.npy"), x.numpy().astype(np.float32))
    with torch.no_grad():
        out = model(x)[0].numpy()
    owner = out.argmax(axis=0)
    counts = np.bincount(owner.ravel(), minlength=4)
    top = int(np.argmax(counts))
    second = int(np.argsort(-counts, kind="stable")[1])
    box = np.zeros((16, 16), dtype=np.float32)
    box[5:13, 3:11] = 1
    targets = {"argmax": (second, np.float32(owner == second)), "box": (1, box)}
    methods = {"gradcam": GradCAM, "gradcam++": GradCAMPlusPlus, "xgradcam": XGradCAM, "hirescam": HiResCAM,
               "layercam": LayerCAM, "scorecam": ScoreCAM, "ablationcam": AblationCAM}
    for tname, (category, mask) in targets.items():
        target = [SemanticSegmentationTarget(category, mask)]
        for name, kind in methods.items():
            cam = kind(model=model, target_layers=[model.relu2])
            outputs = cam.activations_and_grads(x)
            model.zero_grad()
            loss = sum(t(o) for t, o in zip(target, outputs))
            loss.backward(retain_graph=True)
            acts = cam.activations_and_grads.activations[0].cpu().numpy()
            grads = cam.activations_and_grads.gradients[0].cpu().numpy()
            raw = np.maximum(cam.get_cam_image(x, model.relu2, target, acts, grads, False), 0)[0]
            cam.activations_and_grads.release()
            assert raw.max() > 0, (tname, name)
            np.save(os.path.join(OUT, f"{tname}-{name}.npy"), raw.astype(np.float32))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"top": top, "argmax": second, "counts": [int(c) for c in counts], "box": 1, "boxTarget": "3,5,11,13",
                   "layer": "/relu2/Relu"}, f, indent=1)
        f.write("\n")
    print("top class", top, "explained", second, "pixel counts", counts)


if __name__ == "__main__":
    main()
