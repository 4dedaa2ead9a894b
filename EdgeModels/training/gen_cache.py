"""Render a synthetic set into cache/<name>.npy (uint8 N x 320 x 320 x 3) + cache/<name>.json (boxes, and each
box's visible contrast, see synth._contrast, and each scratch's angle to the brushing, synth.render).

usage: gen_cache.py --seed 1 --count 5000 --name train [--workers 2] [--same-tone 0.15] [--along-grain 0] [--belt 0]
                    [--bright 0] [--clutter 0] [--hairline 0]

--same-tone P: share of scratches drawn in the same tone as the surface under them (bright on bright metal,
the hardest to see); the generator's default, which the held-out and validation sets use, is 0.15.
--along-grain P: share of scratches drawn within 0.3 rad of the brushing of the metal under them; default 0
(uniform angle), which the held-out and validation sets use.
--bright P: share of metal parts exposed so that their surface is near white (synth.render), where bright scratches
are faintest; default 0. Unlike the options above it changes the images it touches (exposure, hence contrast).
--clutter P: share of images with scratch-like things that are not defects: lint fibres on the belt near the part
and a crisp shadow along its edge (synth.render); default 0. It changes only the images it touches. Parts that
--belt lays onto the conveyor lose the generator's belt with its fibres, so the conveyor gets its own fibres at the
same share (belt.composite).
--hairline P: share of metal parts with brushing lines that stand out over part of their length (synth._hairlines),
not defects; default 0. It changes only the images it touches.
--belt P: share of images whose part is cut out by its mask and laid onto a conveyor belt as continuous mode's
simulator lays it (belt.py); the part, its boxes and their contrast are the sample's own. Default 0.
"""
import argparse
import json
import os
import time
from multiprocessing import Pool

import numpy as np

import belt
import synth


def _one(args):
    seed, i, same_tone, along_grain, belt_p, bright, clutter, hairline = args
    info = {}
    im, boxes = synth.sample(seed, i, jpeg=True, info=info, same_tone=same_tone, along_grain=along_grain, bright_metal=bright,
                             clutter=clutter, hairline=hairline)
    if belt_p > 0:
        rng = np.random.default_rng([seed, i, 1000])  # its own stream: the sample is the same with or without
        if rng.random() < belt_p:
            im = belt.composite(rng, im, info["alpha"], clutter)
    return im, boxes, info["contrast"], info["grain"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--name", default="train")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--same-tone", type=float, default=synth.SAME_TONE_SCRATCH_P)
    ap.add_argument("--along-grain", type=float, default=synth.ALONG_GRAIN_SCRATCH_P)
    ap.add_argument("--belt", type=float, default=0.0)
    ap.add_argument("--bright", type=float, default=0.0)
    ap.add_argument("--clutter", type=float, default=0.0)
    ap.add_argument("--hairline", type=float, default=0.0)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache"))
    a = ap.parse_args()
    if not 0 <= a.same_tone <= 1:
        ap.error(f"--same-tone {a.same_tone}: a share, between 0 and 1")
    if not 0 <= a.along_grain <= 1:
        ap.error(f"--along-grain {a.along_grain}: a share, between 0 and 1")
    if not 0 <= a.belt <= 1:
        ap.error(f"--belt {a.belt}: a share, between 0 and 1")
    if not 0 <= a.bright <= 1:
        ap.error(f"--bright {a.bright}: a share, between 0 and 1")
    if not 0 <= a.clutter <= 1:
        ap.error(f"--clutter {a.clutter}: a share, between 0 and 1")
    if not 0 <= a.hairline <= 1:
        ap.error(f"--hairline {a.hairline}: a share, between 0 and 1")
    os.makedirs(a.out, exist_ok=True)
    npy = os.path.join(a.out, f"{a.name}.npy")
    meta = os.path.join(a.out, f"{a.name}.json")
    if os.path.exists(meta):
        m = json.load(open(meta))
        if m.get("seed") == a.seed and m.get("count") == a.count and m.get("version") == 4 \
                and m.get("same_tone", synth.SAME_TONE_SCRATCH_P) == a.same_tone and m.get("belt", 0.0) == a.belt \
                and m.get("along_grain", synth.ALONG_GRAIN_SCRATCH_P) == a.along_grain and "grain" in m \
                and m.get("bright", 0.0) == a.bright and m.get("clutter", 0.0) == a.clutter \
                and m.get("hairline", 0.0) == a.hairline:
            print(f"cache {npy} up to date")
            return
    # Written beside and renamed into place: a training run may have the old file mapped, and truncating it
    # under that run would hand it zeroed images.
    tmp_npy, tmp_meta = npy + ".partial", meta + ".partial"
    arr = np.lib.format.open_memmap(tmp_npy, mode="w+", dtype=np.uint8, shape=(a.count, synth.SIZE, synth.SIZE, 3))
    labels, contrast, grain = [], [], []
    t0 = time.time()
    with Pool(a.workers) as pool:
        for i, (im, boxes, con, gr) in enumerate(pool.imap(_one, [(a.seed, i, a.same_tone, a.along_grain, a.belt, a.bright, a.clutter, a.hairline) for i in range(a.count)], chunksize=16)):
            arr[i] = im
            labels.append(boxes)
            contrast.append(con)
            grain.append(gr)
            if (i + 1) % 500 == 0:
                print(f"  {a.name}: {i + 1}/{a.count} images, {time.time() - t0:.0f}s", flush=True)
    arr.flush()
    del arr
    json.dump({"seed": a.seed, "count": a.count, "version": 4, "same_tone": a.same_tone, "along_grain": a.along_grain, "belt": a.belt, "bright": a.bright, "clutter": a.clutter, "hairline": a.hairline, "labels": labels, "contrast": contrast, "grain": grain}, open(tmp_meta, "w"))
    os.replace(tmp_npy, npy)
    os.replace(tmp_meta, meta)
    n = sum(len(b) for b in labels)
    print(f"cache {npy}: {a.count} images, {n} boxes, {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
