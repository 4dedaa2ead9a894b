"""Choose the inspection line's per-class score thresholds for a trained model on a labelled validation set.

usage: operating_point.py --ckpt runs/defect/best.pt --set cache/val4 [--onnx FILE] [--default 0.25]
                          [--grid 0.05:0.95:0.05] [--miss-weight 1] [--json FILE]

The line calls a part defective when any box's best class scores above that class's threshold (the YOLOv8
decoder keeps each box's best class only; NMS never removes the highest box). So an image's decision depends
only on, per class, the highest score among the boxes whose best class it is. This script computes those per
image once, then tries every combination of per-class thresholds on the grid and keeps the one with the fewest
errors (missed defective images x miss-weight + flagged good images); ties go to the combination farthest from
the nearest error (largest margin), then to the lowest thresholds.

Run it on a validation set (make_heldout.py --seed 4 --count 1200 --out cache/val4), never the held-out set:
the held-out set is what the line is judged on afterwards. It prints the chosen thresholds as the JSON that
export_onnx.py --min-score takes, and the errors at the single default threshold for comparison.
"""
import argparse
import itertools
import json
import os

import numpy as np
import torch

import synth
from model import load_checkpoint
from onnx_numpy import Graph
from detlib import map50, postprocess
from train import load_heldout, predict


def best_class_maxima(outs, nc):
    """outs: list of [4+C, N] -> [images, C]: per class, the highest score of the boxes whose best class it is."""
    res = np.zeros((len(outs), nc), np.float32)
    for i, o in enumerate(outs):
        s = o[4:4 + nc]
        best = s.argmax(0)
        top = s.max(0)
        for c in range(nc):
            sel = best == c
            if sel.any():
                res[i, c] = top[sel].max()
    return res


def errors(maxima, defective, thr, miss_weight):
    flagged = (maxima > thr[None, :]).any(1)
    missed = int((defective & ~flagged).sum())
    wrong = int((~defective & flagged).sum())
    return missed, wrong, missed * miss_weight + wrong


def margin(maxima, defective, thr):
    """How far the closest correctly judged image's deciding score is from its threshold."""
    gap = (maxima - thr[None, :]).max(1)
    d = np.where(defective, gap, -gap)
    ok = d > 0
    return float(d[ok].min()) if ok.any() else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="")
    ap.add_argument("--onnx", default="", help="score with this ONNX graph (numpy) instead of the checkpoint")
    ap.add_argument("--set", required=True, help="labelled image folder (make_heldout.py output)")
    ap.add_argument("--default", type=float, default=0.25, help="the single threshold to compare with")
    ap.add_argument("--grid", default="0.05:0.95:0.05", help="START:STOP:STEP, inclusive")
    ap.add_argument("--miss-weight", type=float, default=1.0, help="cost of a missed defective image relative to a flagged good one")
    ap.add_argument("--json", default="", help="also write the result here")
    a = ap.parse_args()
    if os.path.abspath(a.set) == os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "models", "defect", "heldout")):
        raise SystemExit("operating_point.py: --set is the held-out set; choose thresholds on a validation set (make_heldout.py --seed 4)")
    torch.set_num_threads(1)
    nc = len(synth.NAMES)
    ims, gts = load_heldout(a.set)
    defective = np.array([bool(g) for g in gts])
    if a.onnx:
        g = Graph(a.onnx)
        outs = [g.detect(im) for im in ims]
    elif a.ckpt:
        outs = predict(load_checkpoint(a.ckpt), ims)
    else:
        raise SystemExit("operating_point.py: give --ckpt or --onnx")
    mx = best_class_maxima(outs, nc)

    start, stop, step = (float(v) for v in a.grid.split(":"))
    grid = np.round(np.arange(start, stop + step / 2, step), 4)
    best = None
    for combo in itertools.product(grid, repeat=nc):
        thr = np.array(combo, np.float32)
        _, _, cost = errors(mx, defective, thr, a.miss_weight)
        if best is not None and cost > best[0]:
            continue
        key = (cost, -margin(mx, defective, thr), float(thr.sum()))
        if best is None or key < best:
            best = key
            chosen = thr
    single = np.full(nc, a.default, np.float32)
    m0, w0, _ = errors(mx, defective, single, a.miss_weight)
    m1, w1, _ = errors(mx, defective, chosen, a.miss_weight)
    nd, ng = int(defective.sum()), int((~defective).sum())
    by_class = {synth.NAMES[c]: round(float(chosen[c]), 4) for c in range(nc)}
    mp, _ = map50([postprocess(o) for o in outs], gts, nc)
    print(f"{a.set}: {nd} defective, {ng} good images; mAP@0.5 {mp:.4f}")
    print(f"single threshold {a.default}: missed {m0}, flagged {w0}")
    print(f"per class {json.dumps(by_class)}: missed {m1}, flagged {w1}, margin {-best[1]:.3f}")
    files = [e["file"] for e in json.load(open(os.path.join(a.set, "labels.json")))["images"]]
    flagged = (mx > chosen[None, :]).any(1)
    print("  missed:", [f for f, d, fl in zip(files, defective, flagged) if d and not fl])
    print("  flagged:", [f for f, d, fl in zip(files, defective, flagged) if not d and fl])
    if a.json:
        json.dump({"set": a.set, "map50": mp, "defective": nd, "good": ng, "min_score": by_class,
                   "missed": m1, "flagged": w1, "single": {"threshold": a.default, "missed": m0, "flagged": w0}},
                  open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
