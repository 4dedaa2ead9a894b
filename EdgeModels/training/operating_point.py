"""Choose the inspection line's per-class score thresholds for a trained model on a labelled validation set.

usage: operating_point.py --ckpt runs/defect/best.pt --set cache/val4 [--onnx FILE] [--default 0.25] [--objects]
                          [--grid 0.05:0.95:0.05] [--miss-weight 1] [--json FILE]

The line calls a part defective when any box's best class scores above that class's threshold (the YOLOv8
decoder keeps each box's best class only; NMS never removes the highest box). So an image's decision depends
only on, per class, the highest score among the boxes whose best class it is. This script computes those per
image once, then tries every combination of per-class thresholds on the grid and keeps the one with the fewest
errors (missed defective images x miss-weight + flagged good images); ties go to the combination farthest from
the nearest error (largest margin), then to the lowest thresholds. That margin is the smallest over all classes,
so it says nothing about the classes that are not closest: a class's threshold could sit just above its best good
image's score, and a model that scores that part a little higher on the line (INT8, another pose) rejects it. So
each class's threshold is then moved, on a finer grid (--refine) and with the other classes' held, to where it is
farthest from the nearest image that class decides, without changing the errors: the middle of its gap (with
--objects, also from the nearest defect that class alone finds, and without losing one).

The image count hides defects: a part with a scratch and a dent is rejected for the dent, so it never shows that the
scratch scored below its threshold, and a part with only that scratch would pass. So the script also judges each
labelled defect as if it were alone on its part (`object_maxima`: the boxes of any class that overlap it) and prints
those it would miss. With --objects, ties go first to the combination that misses the fewest of them, then to the
margin; it is off by default (every release so far was chosen without it), since it can buy one more defect with a
narrower gap to a good part.

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
from detlib import map50, overlap, postprocess
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


def object_maxima(outs, gts, nc, thr=0.3):
    """outs: list of [4+C, N], gts: per image [(class, box)] -> [objects, C]: for each labelled defect, per class, the
    highest score of the boxes whose best class it is and that overlap the defect (intersection over the smaller box
    >= thr). That is what would decide the part if this defect were its only one: a part with a scratch and a dent
    is rejected for the dent, and the image-level count never sees that its scratch scored below the threshold."""
    rows = []
    for o, g in zip(outs, gts):
        if not g:
            continue
        s = o[4:4 + nc]
        best, top = s.argmax(0), s.max(0)
        cx, cy, w, h = o[0], o[1], o[2], o[3]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
        for _, box in g:
            near = overlap(box, boxes) >= thr
            r = np.zeros(nc, np.float32)
            for c in range(nc):
                sel = near & (best == c)
                if sel.any():
                    r[c] = top[sel].max()
            rows.append(r)
    return np.asarray(rows, np.float32).reshape(-1, nc)


def objects_missed(omax, thr):
    """How many labelled defects no overlapping box finds above its class's threshold."""
    return int((~(omax > thr[None, :]).any(1)).sum()) if len(omax) else 0


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


def class_margin(maxima, defective, thr, c, omax=None):
    """How far class c's threshold is from the nearest correctly judged image that class c decides (one no other
    class flags), and, with omax, from the nearest found defect class c alone finds."""
    other = np.arange(maxima.shape[1]) != c
    free = ~(maxima[:, other] > thr[None, other]).any(1)
    s, d = maxima[free, c], defective[free]
    ok = np.where(d, s > thr[c], s <= thr[c])
    dist = np.abs(s - thr[c])[ok]
    if omax is not None and len(omax):
        so = omax[~(omax[:, other] > thr[None, other]).any(1), c]
        dist = np.concatenate([dist, (so - thr[c])[so > thr[c]]])
    return float(dist.min()) if dist.size else 1.0


def refine(maxima, defective, thr, miss_weight, fine, omax=None):
    """Move each class's threshold along `fine` to its own largest margin, keeping the cost (and, with omax, the
    defects found); two rounds, since a class's move can change which images the others decide."""
    thr = thr.copy()
    cost = errors(maxima, defective, thr, miss_weight)[2]
    lost = objects_missed(omax, thr) if omax is not None else 0
    for _ in range(2):
        for c in range(len(thr)):
            best = None
            for t in np.append(fine, thr[c]):  # the current value keeps the cost, whatever the two grids
                tt = thr.copy()
                tt[c] = t
                if errors(maxima, defective, tt, miss_weight)[2] != cost:
                    continue
                if omax is not None and objects_missed(omax, tt) > lost:
                    continue
                key = (class_margin(maxima, defective, tt, c, omax), -float(t))
                if best is None or key > best[0]:
                    best = (key, t)
            thr[c] = best[1]
    return thr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="")
    ap.add_argument("--onnx", default="", help="score with this ONNX graph (numpy) instead of the checkpoint")
    ap.add_argument("--set", required=True, help="labelled image folder (make_heldout.py output)")
    ap.add_argument("--default", type=float, default=0.25, help="the single threshold to compare with")
    ap.add_argument("--grid", default="0.05:0.95:0.05", help="START:STOP:STEP, inclusive")
    ap.add_argument("--refine", type=float, default=0.005, metavar="STEP",
                    help="then move each class's threshold in steps of STEP to the middle of its gap (0: keep the grid's)")
    ap.add_argument("--miss-weight", type=float, default=1.0, help="cost of a missed defective image relative to a flagged good one")
    ap.add_argument("--objects", action="store_true",
                    help="break ties by the defects missed as if each were alone on its part, before the margin "
                         "(default: images only, as every release so far; the count is printed either way)")
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
    omax_all = object_maxima(outs, gts, nc)
    omax = omax_all if a.objects else None
    lost = (lambda t: objects_missed(omax, t)) if omax is not None else (lambda t: 0)

    start, stop, step = (float(v) for v in a.grid.split(":"))
    grid = np.round(np.arange(start, stop + step / 2, step), 4)
    best = None
    for combo in itertools.product(grid, repeat=nc):
        thr = np.array(combo, np.float32)
        _, _, cost = errors(mx, defective, thr, a.miss_weight)
        if best is not None and cost > best[0]:
            continue
        key = (cost, lost(thr), -margin(mx, defective, thr), float(thr.sum()))
        if best is None or key < best:
            best = key
            chosen = thr
    grid_choice = chosen
    if a.refine > 0:
        chosen = refine(mx, defective, chosen, a.miss_weight, np.round(np.arange(start, stop + a.refine / 2, a.refine), 4),
                        omax)
    single = np.full(nc, a.default, np.float32)
    m0, w0, _ = errors(mx, defective, single, a.miss_weight)
    m1, w1, _ = errors(mx, defective, chosen, a.miss_weight)
    nd, ng = int(defective.sum()), int((~defective).sum())
    by_class = {synth.NAMES[c]: round(float(chosen[c]), 4) for c in range(nc)}
    mp, _ = map50([postprocess(o) for o in outs], gts, nc)
    print(f"{a.set}: {nd} defective, {ng} good images; mAP@0.5 {mp:.4f}")
    print(f"single threshold {a.default}: missed {m0}, flagged {w0}")
    margins = {synth.NAMES[c]: round(class_margin(mx, defective, chosen, c, omax), 3) for c in range(nc)}
    if a.refine > 0:
        print("on the grid", json.dumps({synth.NAMES[c]: round(float(grid_choice[c]), 4) for c in range(nc)}))
    print(f"per class {json.dumps(by_class)}: missed {m1}, flagged {w1}, margin {margin(mx, defective, chosen):.3f}")
    print(f"  each class's margin {json.dumps(margins)}")
    files = [e["file"] for e in json.load(open(os.path.join(a.set, "labels.json")))["images"]]
    flagged = (mx > chosen[None, :]).any(1)
    print("  missed:", [f for f, d, fl in zip(files, defective, flagged) if d and not fl])
    print("  flagged:", [f for f, d, fl in zip(files, defective, flagged) if not d and fl])
    objs = [(f, synth.NAMES[k]) for f, g in zip(files, gts) for k, _ in g]
    found = (omax_all > chosen[None, :]).any(1)
    gone = [f"{f} {k} {float(omax_all[j].max()):.3f}" for j, (f, k) in enumerate(objs) if not found[j]]
    print(f"  defects missed as if alone on their part: {len(gone)} of {len(objs)}:", gone)
    if a.json:
        json.dump({"set": a.set, "map50": mp, "defective": nd, "good": ng, "min_score": by_class,
                   "missed": m1, "flagged": w1, "class_margin": margins,
                   "objects": len(objs), "objects_missed": len(gone), "objects_missed_list": gone, "objects_rule": a.objects,
                   "grid_min_score": {synth.NAMES[c]: round(float(grid_choice[c]), 4) for c in range(nc)}, "single": {"threshold": a.default, "missed": m0, "flagged": w0}},
                  open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
