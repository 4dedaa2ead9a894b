"""Write the held-out set (seed 2, a different seed from training) to models/defect/heldout/:
JPEG (quality 90, 320x320) + labels.json {"images": [{"file", "width", "height", "objects": [{"class", "box", "contrast"}]}]}.
masks/NNNN.png is each part's coverage (8-bit, 255 = part, 0 = belt or a through hole).
Boxes are [x1, y1, x2, y2] in image pixels; contrast is the defect's visible luminance change (synth._contrast).
--same-tone, --along-grain, --bright, --clutter and --hairline change the mix as gen_cache.py's options do (for a
validation set rich in the hard cases); the held-out set and the validation sets seed 3 and 4 use the defaults."""
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
ap.add_argument("--same-tone", type=float, default=synth.SAME_TONE_SCRATCH_P)
ap.add_argument("--along-grain", type=float, default=synth.ALONG_GRAIN_SCRATCH_P)
ap.add_argument("--bright", type=float, default=0.0)
ap.add_argument("--clutter", type=float, default=0.0)
ap.add_argument("--hairline", type=float, default=0.0)
a = ap.parse_args()
for k in ("same_tone", "along_grain", "bright", "clutter", "hairline"):
    if not 0 <= getattr(a, k) <= 1:
        ap.error(f"--{k.replace('_', '-')} {getattr(a, k)}: a share, between 0 and 1")
os.makedirs(os.path.join(a.out, "masks"), exist_ok=True)
entries = []
for i in range(a.count):
    info = {}
    im, boxes = synth.sample(a.seed, i, jpeg=False, info=info, same_tone=a.same_tone, along_grain=a.along_grain,
                             bright_metal=a.bright, clutter=a.clutter, hairline=a.hairline)
    name = f"{i:04d}.jpg"
    Image.fromarray(im).save(os.path.join(a.out, name), quality=90)
    # The part's coverage, so a simulator can lay the part (and only the part) onto its own belt.
    Image.fromarray((np.clip(info["alpha"], 0, 1) * 255 + 0.5).astype(np.uint8)).save(
        os.path.join(a.out, "masks", name[:-4] + ".png"), optimize=True)
    entries.append({"file": name, "width": synth.SIZE, "height": synth.SIZE,
                    "objects": [{"class": synth.NAMES[k], "box": b, "contrast": c}
                                for (k, b), c in zip(boxes, info["contrast"])]})
json.dump({"seed": a.seed, "mix": {k: getattr(a, k) for k in ("same_tone", "along_grain", "bright", "clutter", "hairline")},
           "generator": "EdgeModels/training/synth.py", "classes": synth.NAMES,
           "box_format": "x1,y1,x2,y2 pixels", "min_contrast": synth.MIN_CONTRAST, "images": entries}, open(os.path.join(a.out, "labels.json"), "w"), indent=0)
n = [0] * 4
for e in entries:
    for o in e["objects"]:
        n[synth.NAMES.index(o["class"])] += 1
print(f"{a.count} images -> {a.out}; objects per class {dict(zip(synth.NAMES, n))}; "
      f"{sum(1 for e in entries if not e['objects'])} images without defects")
