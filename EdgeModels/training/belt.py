"""Parts laid onto the conveyor belt the way `edge inspect --sim --continuous` lays them.

In continuous mode the simulator does not show the generator's whole image: it cuts the part out by its coverage
mask (masks/NNNN.png) and lays it onto one moving belt (EdgeAgent/Inspection/BeltTexture.cs: dark rubber with
streaks along the travel, grain, splice seams, dust specks, a fixed guide rail along the top, fresh sensor noise),
with a hard drop shadow (ContinuousConveyor.Composite: 40 % darker, 5 px down and right, shaped by the outline
without its holes). The generator's own belts are lit with the part and their shadows are soft, so a detector
trained on them alone sees a new kind of background at the line. `composite` draws that kind: the same
construction with the belt's parameters drawn around the simulator's defaults, so the simulator's belt is one
belt among many rather than the one trained on.

The part's pixels, mask and boxes are the sample's own, so the boxes stay valid.
"""
import numpy as np
from PIL import Image, ImageDraw

import synth

PERIOD = 1024


def belt_frame(rng, height, width):
    """A float32 gray belt window (0..255) of height x width, its parameters drawn around BeltTexture's defaults
    (level 52, streak 7, grain 3, rail 14 rows, sensor noise 2)."""
    level = rng.uniform(36, 72)
    streak = rng.uniform(3, 10)
    grain = int(rng.integers(1, 5))
    rail_rows = int(rng.integers(10, 19)) if rng.random() < 0.8 else 0
    noise = int(rng.integers(1, 4))
    y = np.arange(height, dtype=np.float32)
    p = rng.uniform(0, 6.3, 3)
    row = level + np.round(streak * (0.5 * np.sin(y / 9.0 + p[0]) + 0.3 * np.sin(y / 3.7 + p[1]) + 0.2 * np.sin(y / 23.0 + p[2])))
    tex = row[:, None] + rng.integers(-grain, grain + 1, (height, PERIOD))
    x = int(rng.integers(100, 300))
    while x + 1 < PERIOD:
        tex[:, x:x + 2] -= 14
        x += int(rng.integers(300, 500))
    for _ in range(40):
        cx, cy = int(rng.integers(PERIOD)), int(rng.integers(rail_rows, height))
        tex[cy:cy + 2, [cx % PERIOD, (cx + 1) % PERIOD]] = level + 60
    tex = np.clip(tex, 0, 255)
    shift = int(rng.integers(PERIOD))
    win = np.roll(tex, shift, axis=1)[:, :width] if width <= PERIOD else np.tile(tex, (1, width // PERIOD + 1))[:, :width]
    if rail_rows:
        ry = np.arange(rail_rows, dtype=np.float32)
        win[:rail_rows] = np.clip(np.round(140 + 25 * np.sin(np.pi * (ry + 0.5) / rail_rows) - 20), 0, 255)[:, None]
    win = win + rng.integers(-noise, noise + 1, win.shape)
    return np.clip(win, 0, 255).astype(np.float32)


def outline(mask):
    """The mask (uint8 HxW) with every dark region that does not reach the border (a through hole) filled with 255,
    as ContinuousConveyor.Outline does."""
    h, w = mask.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = np.where(mask < 128, 0, 255)
    im = Image.fromarray(pad, mode="L")
    ImageDraw.floodfill(im, (0, 0), 128)
    outside = np.asarray(im)[1:-1, 1:-1] == 128
    return np.where(outside, mask, 255).astype(np.uint8)


def composite(rng, image, alpha, clutter=0.0):
    """`image` (uint8 HxWx3, the sample as the simulator would read it from its JPEG) cut out by `alpha` (float
    0..1, quantised to 8 bits as masks/NNNN.png is) and laid onto a fresh belt with the simulator's drop shadow
    (offset and strength drawn around its 5 px and 40 %). Returns uint8 HxWx3.

    `clutter`: the chance that the belt carries lint fibres near the part (synth._fibres, the generator's
    `--clutter`), which the cut-out would otherwise lose with the generator's own belt. At 0 nothing is drawn
    and nothing is drawn from `rng` for it, so the composite is exactly the one without the option."""
    h, w = alpha.shape
    mask = (np.clip(alpha, 0, 1) * 255 + 0.5).astype(np.uint8)
    out = np.repeat(belt_frame(rng, h, w)[..., None], 3, axis=2)
    if clutter > 0 and rng.random() < clutter:
        ys, xs = np.nonzero(mask >= 128)
        if len(xs):
            cx, cy = float(xs.mean()), float(ys.mean())
            reach = float(np.sqrt(((xs - cx) ** 2 + (ys - cy) ** 2).max()))
            out = synth._fibres(rng, out / 255, cx, cy, reach) * 255
    off = int(rng.integers(3, 8))
    pct = rng.uniform(30, 50)
    sh = np.zeros((h, w), np.float32)
    sh[off:, off:] = outline(mask)[:h - off, :w - off]
    out *= (1 - sh * pct / (255 * 100))[..., None]
    out = np.floor(out)
    a = mask.astype(np.float32)[..., None]
    out = np.floor((image.astype(np.float32) * a + out * (255 - a) + 127) / 255)
    return np.clip(out, 0, 255).astype(np.uint8)


def compose_set(src, dst, seed, keep):
    """Lays every part of the labelled folder `src` (make_heldout.py output, with masks/) onto a belt, as the
    simulator would, into `dst` as belt-NNNN.png (lossless: the simulator feeds raw frames, not JPEGs) with the same
    labels; with `keep`, the original images too, so one set scores both trigger modes."""
    import json
    import os
    import shutil
    meta = json.load(open(os.path.join(src, "labels.json")))
    os.makedirs(dst, exist_ok=True)
    out = []
    for i, e in enumerate(meta["images"]):
        stem = os.path.splitext(e["file"])[0]
        mask_path = os.path.join(src, "masks", stem + ".png")
        if not os.path.exists(mask_path):
            raise SystemExit(f"{mask_path}: no mask for {e['file']} (make_heldout.py writes masks/ beside the images)")
        im = np.asarray(Image.open(os.path.join(src, e["file"])).convert("RGB"))
        alpha = np.asarray(Image.open(mask_path).convert("L")).astype(np.float32) / 255
        if alpha.shape != im.shape[:2]:
            raise SystemExit(f"{mask_path} is {alpha.shape[1]}x{alpha.shape[0]}, its image {im.shape[1]}x{im.shape[0]}")
        name = f"belt-{stem}.png"
        Image.fromarray(composite(np.random.default_rng([seed, i, 2000]), im, alpha)).save(os.path.join(dst, name))
        out.append(dict(e, file=name))
        if keep:
            shutil.copyfile(os.path.join(src, e["file"]), os.path.join(dst, e["file"]))
            out.append(e)
    json.dump(dict(meta, images=out, belt={"from": os.path.basename(os.path.normpath(src)), "seed": seed, "kept_originals": keep}),
              open(os.path.join(dst, "labels.json"), "w"), indent=0)
    print(f"{len(meta['images'])} parts from {src} laid on belts -> {dst} ({len(out)} images)")


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "--set":
        import argparse
        ap = argparse.ArgumentParser(description="lay a labelled folder's parts onto belts (a validation set for continuous mode)")
        ap.add_argument("--set", required=True)
        ap.add_argument("--out", required=True)
        ap.add_argument("--seed", type=int, default=1)
        ap.add_argument("--keep", action="store_true", help="also copy the original images, so the set holds both")
        a = ap.parse_args()
        compose_set(a.set, a.out, a.seed, a.keep)
        sys.exit(0)
    import sys
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    dst = sys.argv[3] if len(sys.argv) > 3 else "/tmp/belt_preview.png"
    tiles = []
    for i in range(n):
        info = {}
        im, boxes = synth.sample(seed, i, jpeg=True, info=info)
        c = composite(np.random.default_rng([seed, i, 1000]), im, info["alpha"])
        pil = Image.fromarray(np.concatenate([im, c], axis=1))
        d = ImageDraw.Draw(pil)
        for k, b in boxes:
            d.rectangle([b[0] + synth.SIZE, b[1], b[2] + synth.SIZE, b[3]], outline=(255, 0, 0))
        tiles.append(pil)
    sheet = Image.new("RGB", (2 * synth.SIZE * 2, synth.SIZE * ((n + 1) // 2)))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % 2) * 2 * synth.SIZE, (i // 2) * synth.SIZE))
    sheet.save(dst)
    print(dst)
