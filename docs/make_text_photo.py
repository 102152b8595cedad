"""Writes docs/text-photo.jpg: SampleImages/rocket.jpg with two lines of text painted on a board, the photo
the README uses to show the PP-OCR text detector (none of the sample photos holds much text).

    pip install pillow && python3 docs/make_text_photo.py
"""
import os
from PIL import Image, ImageDraw, ImageFont

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
photo = Image.open(os.path.join(root, "SampleImages", "rocket.jpg")).convert("RGB")
draw = ImageDraw.Draw(photo)
font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
draw.rectangle((28, 300, 300, 400), fill=(236, 232, 220))
draw.text((40, 308), "LAUNCH PAD 40", font=ImageFont.truetype(font, 30), fill=(30, 30, 30))
draw.text((40, 352), "convolve sees text", font=ImageFont.truetype(font, 26), fill=(160, 20, 20))
photo.save(os.path.join(root, "docs", "text-photo.jpg"), quality=90)
