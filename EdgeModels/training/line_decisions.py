"""The line's decisions on labelled sets, from `edge detect --json` output, and two changes to them measured there
(tried, not built; model card, "Two changes to the decision, measured on the runtime's output").

    scripts/edge detect --model defect cache/val4mix --json --conf 0.05 > val4mix.jsonl     # and cache/val23mix
    /usr/bin/python3 line_decisions.py --set cache/val4mix val4mix.jsonl --masks cache/val4/masks \\
        --set cache/val23mix val23mix.jsonl --masks cache/val23/masks

Decides each image as the line does: a part is defective when a box scores at least its class's threshold, except
that a scratch box the runtime verified (it carries "verified": it scored from the band's `from` up to its `to`)
counts only when verified >= `min`. First with the shipped band (its errors must equal `verifier.py point`'s), then:
- bright: `min` lowered to M where the median luminance of the 32 x 32 px around the box is at least L, for a grid
  of L and M;
- on the part (with --masks: `make_heldout.py`'s `masks/`, one per image; a `belt-NNNN.png` of `belt.py --keep` takes
  `NNNN.png`): boxes whose area the part covers less than C are ignored, as a part mask would let the line do; with
  `min` chosen again.
Prints the errors (missed defective + flagged good images) of each.
"""
import argparse
import json
import os

import numpy as np
from PIL import Image


def load(setdir, jsonl, masks, thr):
    lab = json.load(open(os.path.join(setdir, "labels.json")))
    lab = lab["images"] if isinstance(lab, dict) else lab
    truth = {e["file"]: len(e["objects"]) > 0 for e in lab}
    name = os.path.basename(setdir.rstrip("/"))
    rows = []
    for n, line in enumerate(open(jsonl), 1):
        r = json.loads(line)
        f = os.path.basename(r["image"])
        if f not in truth:
            raise SystemExit(f"{jsonl} line {n}: {f} is not in {setdir}/labels.json")
        mask = None
        if masks:
            mp = os.path.join(masks, f.replace("belt-", "").rsplit(".", 1)[0] + ".png")
            if not os.path.isfile(mp):
                raise SystemExit(f"{jsonl} line {n}: no mask {mp} for {f}")
            mask = np.asarray(Image.open(mp), np.float32) / 255
        gray, dets = None, []
        for d in r["detections"]:
            if d["label"] not in thr:
                raise SystemExit(f"{jsonl} line {n}: unknown label {d['label']!r}")
            x1, y1, x2, y2 = [int(round(v)) for v in d["box"]]
            x1, y1 = max(x1, 0), max(y1, 0)
            x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
            lum, cover = np.nan, 1.0
            if "verified" in d:
                if gray is None:
                    gray = np.asarray(Image.open(r["image"]).convert("L"), np.float32) / 255
                cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
                lum = float(np.median(gray[max(cy - 16, 0):cy + 16, max(cx - 16, 0):cx + 16]))
            if mask is not None:
                part = mask[y1:y2, x1:x2]
                cover = float(part.mean()) if part.size else 0.0
            dets.append((d["label"], d["score"], d.get("verified", np.nan), lum, cover))
        rows.append((f"{name}/{f}", truth[f], dets))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", nargs=2, action="append", required=True, metavar=("DIR", "JSONL"),
                   help="a labelled folder and `edge detect --json` output of it")
    p.add_argument("--masks", action="append", default=[], help="the part masks of each --set, in the same order")
    p.add_argument("--min-score", default='{"scratch": 0.71, "dent": 0.325, "spot": 0.41, "missing_hole": 0.555}',
                   help="the detector's thresholds (default 1.7.0 FP32's)")
    p.add_argument("--min", type=float, default=0.37, help="the verifier's min (default 1.3.0's)")
    a = p.parse_args()
    if a.masks and len(a.masks) != len(a.set):
        p.error("give one --masks per --set, or none")
    thr = json.loads(a.min_score)
    rows = []
    for k, (setdir, jl) in enumerate(a.set):
        rows += load(setdir, jl, a.masks[k] if a.masks else None, thr)

    def errors(vmin, cover=0.0):
        miss, flag = [], []
        for n, truth, dets in rows:
            dec = False
            for lab, s, v, lum, c in dets:
                if c < cover:
                    continue
                dec |= (v >= vmin(lum)) if not np.isnan(v) else (s >= thr[lab])
            if truth and not dec:
                miss.append(n)
            if not truth and dec:
                flag.append(n)
        return miss, flag

    m, f = errors(lambda lum: a.min)
    print(f"{len(rows)} images; shipped band: {len(m) + len(f)} errors ({len(m)} missed / {len(f)} flagged)")
    print("  missed:", " ".join(m) or "-")
    print("  flagged:", " ".join(f) or "-")
    mins = np.round(np.arange(0.02, 0.6, 0.01), 3)
    grid = sorted((len(m) + len(f), len(m), L, M)
                  for L in np.round(np.arange(0.5, 0.951, 0.025), 3) for M in mins
                  for m, f in [errors(lambda lum, L=L, M=M: M if lum >= L else a.min)])
    print("bright: fewest errors with min M where the luminance around the box is >= L:")
    for e, mi, L, M in grid[:4]:
        print(f"  {e} ({mi} missed / {e - mi} flagged), L {L}, M {M}")
    if not a.masks:
        return
    print("on the part: boxes covered by the part less than C ignored")
    for c in (0.05, 0.1, 0.3, 0.5):
        m, f = errors(lambda lum: a.min, c)
        best = min((len(mm) + len(ff), len(mm), M) for M in mins for mm, ff in [errors(lambda lum, M=M: M, c)])
        print(f"  C {c}: {len(m) + len(f)} errors ({len(m)} missed / {len(f)} flagged) at min {a.min}; "
              f"with min chosen again {best[0]} ({best[1]} missed) at {best[2]}; flagged: {' '.join(f) or '-'}")


if __name__ == "__main__":
    main()
