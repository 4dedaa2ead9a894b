"""Mine a trained model's hard examples from cached training sets, for train.py --hard.

usage: mine.py --ckpt runs/h1/best.pt --sets train9 train10 --out runs/h1/hard.json
               [--cache cache] [--fp-conf 0.2] [--fn-below 0.5] [--overlap 0.3] [--start I] [--limit N]

Runs the model over every image of the sets (training images only: never the validation or held-out sets) and
records two kinds of mistake it still makes there:
  - false positives: a detection scoring >= --fp-conf that overlaps no labelled box (intersection over the
    smaller box below --overlap),
    e.g. a "scratch" along a washer's brushing or a "spot" on a through-hole of a part laid on the belt;
  - weak defects: a labelled box whose best overlapping detection of its class scores below --fn-below.
train.py --hard FILE --hard-weight W samples the images holding them W times as often, centres half of those
images' crops on the false positives, and weights the weak boxes W times when choosing which box a crop centres on.
The output names each image by set and index within the set, so it stays valid for any --train-set order.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

import detlib
from detlib import postprocess
from model import load_checkpoint
from train import predict

HERE = os.path.dirname(os.path.abspath(__file__))


def overlap(a, b):
    """detlib.overlap of two boxes (intersection over the smaller box's area)."""
    return float(detlib.overlap(a, b)[0])


def mine_image(dets, gts, fp_conf, fn_below, thr):
    """dets: [(cls, score, box)], gts: [(cls, box)] -> (false positives [(cls, score, box)], weak [(box index, score)]).

    A false positive overlaps no labelled box of any class (a "scratch" on a dent still rejects a defective part,
    so it is no mistake for the line); a weak box's best overlapping detection of its own class scores low."""
    fps = [(k, s, b) for k, s, b in dets if s >= fp_conf and not any(overlap(b, gb) >= thr for _, gb in gts)]
    weak = []
    for j, (g, gb) in enumerate(gts):
        best = max([s for k, s, b in dets if k == g and overlap(b, gb) >= thr], default=0.0)
        if best < fn_below:
            weak.append((j, best))
    return fps, weak


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--sets", nargs="+", required=True, help="cached training sets (gen_cache.py) to mine")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--fp-conf", type=float, default=0.2)
    ap.add_argument("--fn-below", type=float, default=0.5)
    ap.add_argument("--overlap", type=float, default=0.3)
    ap.add_argument("--start", type=int, default=0, help="begin at this image of each set (mine a part not mined before)")
    ap.add_argument("--limit", type=int, default=0, help="mine at most N images of each set, from --start")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.ckpt).eval()
    res = {"ckpt": a.ckpt, "sets": a.sets, "fp_conf": a.fp_conf, "fn_below": a.fn_below, "overlap": a.overlap, "images": []}
    for name in a.sets:
        npy, js = os.path.join(a.cache, name + ".npy"), os.path.join(a.cache, name + ".json")
        for f in (npy, js):
            if not os.path.isfile(f):
                raise SystemExit(f"mine.py: {f} not found (gen_cache.py renders the set)")
        ims = np.load(npy, mmap_mode="r")
        labels = json.load(open(js))["labels"]
        if not 0 <= a.start < len(ims):
            raise SystemExit(f"mine.py: --start {a.start} is outside {name}'s {len(ims)} images")
        n = min(len(ims), a.start + a.limit) if a.limit else len(ims)
        t0, nfp, nweak, step = time.time(), 0, 0, 256
        for i0 in range(a.start, n, step):
            outs = predict(model, ims[i0:min(i0 + step, n)])
            for k, o in enumerate(outs):
                i = i0 + k
                gts = [(c, b) for c, b in labels[i]]
                fps, weak = mine_image(postprocess(o, conf=min(a.fp_conf, 0.05)), gts, a.fp_conf, a.fn_below, a.overlap)
                if fps or weak:
                    res["images"].append({"set": name, "i": i,
                                          "fp": [[c, round(s, 4), [round(v, 1) for v in b]] for c, s, b in fps],
                                          "weak": [[j, round(s, 4)] for j, s in weak]})
                    nfp += len(fps)
                    nweak += len(weak)
            done = min(i0 + step, n) - a.start
            rate = done / max(time.time() - t0, 1e-6)
            print(f"{name}: {done}/{n - a.start} images, {nfp} false positives, {nweak} weak defects, "
                  f"{rate:.1f} img/s, {(n - a.start - done) / rate / 60:.1f} min left", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(res, f)
    imgs = res["images"]
    print(f"wrote {a.out}: {len(imgs)} images, {sum(len(e['fp']) for e in imgs)} false positives "
          f"(on {sum(1 for e in imgs if e['fp'])} images), {sum(len(e['weak']) for e in imgs)} weak defects")


if __name__ == "__main__":
    main()
