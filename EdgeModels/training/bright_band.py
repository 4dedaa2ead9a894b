"""Measures a second look whose verifier minimum depends on the surface's brightness (tried, not built; model card,
"A second look that depends on the surface's brightness").

    scripts/edge detect --model defect cache/val4mix --json --conf 0.05 > val4mix.jsonl     # and cache/val23mix
    /usr/bin/python3 bright_band.py cache/val4mix val4mix.jsonl cache/val23mix val23mix.jsonl

Decides each image as the line does: a part is defective when a box scores at least its class's threshold, except that
a scratch box the runtime verified (it carries "verified": scored from the band's `from` up to its `to`) counts only
when verified >= `min`. First with the shipped band (the errors must equal `verifier.py point`'s), then with `min`
lowered to M where the median luminance of the 32 x 32 px around the box is at least L, for every L and M of a grid;
prints the fewest errors found.
"""
import argparse
import json

import numpy as np
from PIL import Image


def load(setdir, jsonl, thr):
    lab = json.load(open(f"{setdir}/labels.json"))
    lab = lab["images"] if isinstance(lab, dict) else lab
    truth = {e["file"]: len(e["objects"]) > 0 for e in lab}
    rows = []
    for n, line in enumerate(open(jsonl), 1):
        r = json.loads(line)
        f = r["image"].split("/")[-1]
        if f not in truth:
            raise SystemExit(f"{jsonl} line {n}: {f} is not in {setdir}/labels.json")
        im, dets = None, []
        for d in r["detections"]:
            if d["label"] not in thr:
                raise SystemExit(f"{jsonl} line {n}: unknown label {d['label']!r}")
            lum = np.nan
            if "verified" in d:
                if im is None:
                    im = np.asarray(Image.open(r["image"]).convert("L"), np.float32) / 255
                x1, y1, x2, y2 = [int(round(v)) for v in d["box"]]
                cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
                lum = float(np.median(im[max(cy - 16, 0):cy + 16, max(cx - 16, 0):cx + 16]))
            dets.append((d["label"], d["score"], d.get("verified", np.nan), lum))
        rows.append((f"{setdir.rstrip('/').split('/')[-1]}/{f}", truth[f], dets))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pairs", nargs="+", help="SET_DIR JSONL, repeated")
    p.add_argument("--min-score", default='{"scratch": 0.71, "dent": 0.325, "spot": 0.41, "missing_hole": 0.555}',
                   help="the detector's thresholds (default 1.7.0 FP32's)")
    p.add_argument("--min", type=float, default=0.37, help="the verifier's min (default 1.3.0's)")
    a = p.parse_args()
    if len(a.pairs) % 2:
        p.error("give SET_DIR JSONL pairs")
    thr = json.loads(a.min_score)
    rows = []
    for setdir, jl in zip(a.pairs[::2], a.pairs[1::2]):
        rows += load(setdir, jl, thr)

    def defective(dets, vmin):
        for lab, s, v, lum in dets:
            if not np.isnan(v):
                if v >= vmin(lum):
                    return True
            elif s >= thr[lab]:
                return True
        return False

    def errors(vmin):
        miss = [n for n, t, d in rows if t and not defective(d, vmin)]
        flag = [n for n, t, d in rows if not t and defective(d, vmin)]
        return miss, flag

    m, f = errors(lambda lum: a.min)
    print(f"{len(rows)} images; shipped band: {len(m) + len(f)} errors ({len(m)} missed / {len(f)} flagged)")
    print("  missed:", " ".join(m) or "-")
    print("  flagged:", " ".join(f) or "-")
    grid = []
    for L in np.round(np.arange(0.5, 0.951, 0.025), 3):
        for M in np.round(np.arange(0.02, 0.6, 0.01), 3):
            m, f = errors(lambda lum, L=L, M=M: M if lum >= L else a.min)
            grid.append((len(m) + len(f), len(m), L, M))
    grid.sort()
    print("fewest errors with min M where luminance >= L (errors, missed, L, M):")
    for g in grid[:8]:
        print(f"  {g[0]} ({g[1]} missed), L {g[2]}, M {g[3]}")


if __name__ == "__main__":
    main()
