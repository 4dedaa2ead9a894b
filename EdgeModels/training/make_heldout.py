"""Write the held-out set (seed 2, a different seed from training) to models/defect/heldout/:
JPEG (quality 90, 320x320) + labels.json {"images": [{"file", "width", "height", "objects": [{"class", "box", "contrast"}]}]}.
masks/NNNN.png is each part's coverage (8-bit, 255 = part, 0 = belt or a through hole).
Boxes are [x1, y1, x2, y2] in image pixels; contrast is the defect's visible luminance change (synth._contrast)."""
import argparse
import json
import os

import numpy as np

from PIL import Image

import synth

HERE = os.path.dirname(os.path.abspath(__file__))

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=2)
ap.add_argument("--count", type=int, default=180)
ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "models", "defect", "heldout"))
a = ap.parse_args()
os.makedirs(os.path.join(a.out, "masks"), exist_ok=True)
entries = []
for i in range(a.count):
    info = {}
    im, boxes = synth.sample(a.seed, i, jpeg=False, info=info)
    name = f"{i:04d}.jpg"
    Image.fromarray(im).save(os.path.join(a.out, name), quality=90)
    # The part's coverage, so a simulator can lay the part (and only the part) onto its own belt.
    Image.fromarray((np.clip(info["alpha"], 0, 1) * 255 + 0.5).astype(np.uint8)).save(
        os.path.join(a.out, "masks", name[:-4] + ".png"), optimize=True)
    entries.append({"file": name, "width": synth.SIZE, "height": synth.SIZE,
                    "objects": [{"class": synth.NAMES[k], "box": b, "contrast": c}
                                for (k, b), c in zip(boxes, info["contrast"])]})
json.dump({"seed": a.seed, "generator": "EdgeModels/training/synth.py", "classes": synth.NAMES,
           "box_format": "x1,y1,x2,y2 pixels", "min_contrast": synth.MIN_CONTRAST, "images": entries}, open(os.path.join(a.out, "labels.json"), "w"), indent=0)
n = [0] * 4
for e in entries:
    for o in e["objects"]:
        n[synth.NAMES.index(o["class"])] += 1
print(f"{a.count} images -> {a.out}; objects per class {dict(zip(synth.NAMES, n))}; "
      f"{sum(1 for e in entries if not e['objects'])} images without defects")
