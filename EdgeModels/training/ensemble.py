"""Combine trained checkpoints into one ensemble checkpoint: the detectors run side by side on the same image and
their decoded outputs (boxes and class scores, cell by cell) are averaged (model.Ensemble). load_checkpoint reads it,
so operating_point.py, evaluate.py, export_onnx.py (one ONNX graph holding every member) and quantize_qdq.py take
it like a single model's best.pt. Members must share the input size and output levels.

usage: ensemble.py --members runs/A/best.pt runs/B/best.pt --out runs/AB/best.pt
"""
import argparse
import os

import torch

from model import Ensemble, detector_from_dict


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", nargs="+", required=True, help="checkpoints (train.py best.pt) to average")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if len(a.members) < 2:
        raise SystemExit("ensemble.py: give two or more --members")
    cks = []
    for p in a.members:
        if not os.path.isfile(p):
            raise SystemExit(f"ensemble.py: {p}: no such checkpoint")
        ck = torch.load(p, map_location="cpu")
        if "members" in ck:
            raise SystemExit(f"ensemble.py: {p} is an ensemble already; list its members instead")
        cks.append({"model": ck["model"], "arch": ck.get("arch", {}), "from": p})
    try:  # the members must fit together (input size, output levels)
        Ensemble([detector_from_dict(c) for c in cks])
    except ValueError as e:
        raise SystemExit(f"ensemble.py: {e}")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save({"members": cks}, a.out)
    print(f"wrote {a.out}: {len(cks)} members ({', '.join(a.members)})")


if __name__ == "__main__":
    main()
