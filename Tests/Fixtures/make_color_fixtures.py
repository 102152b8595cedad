"""Fixtures for the --to-srgb tests (python3 -m pip install pillow numpy; run from anywhere): a 32x24 RGB gradient
tagged with the Adobe RGB profile of metadata/adobe-rgb.icc (color/adobe.png), and what Pillow's ImageCms (lcms2)
makes of it converted to its built-in sRGB profile, perceptual intent, 8 bits (color/adobe-to-srgb.png)."""
import io, os
import numpy as np
from PIL import Image, ImageCms

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "color")
os.makedirs(out, exist_ok=True)
y, x = np.mgrid[0:24, 0:32]
rgb = np.stack([x * 8, y * 10, 255 - (x + y) * 4], axis=-1).astype(np.uint8)
icc = open(os.path.join(here, "metadata", "adobe-rgb.icc"), "rb").read()
im = Image.fromarray(rgb, "RGB")
im.save(os.path.join(out, "adobe.png"), icc_profile=icc)
source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
converted = ImageCms.profileToProfile(im, source, ImageCms.createProfile("sRGB"), renderingIntent=0)
converted.save(os.path.join(out, "adobe-to-srgb.png"))
print(np.abs(np.asarray(converted).astype(int) - rgb).max(), "levels moved at most")
