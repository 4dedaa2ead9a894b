"""mAP@0.5 on the held-out set (models/defect/heldout, seed 2) for the torch model and for the
exported ONNX graphs (run by onnx_numpy, since onnxruntime is not available in Python here).

usage: evaluate.py [--ckpt runs/defect/best.pt] [--onnx ../../models/defect/defect.onnx ../../models/defect/defect-int8.onnx]
                   [--heldout DIR] [--json runs/defect/eval.json] [--scores 0.1 0.25 0.5]

Also judges each image as the inspection line does (any detection at or above a score -> defective)
and prints, per score, the defective images missed and the good images flagged, by file name.
To compare training runs use the validation set (`--heldout cache/val --json ''`), not the held-out set.

Protocol: conf 0.001, class-wise NMS IoU 0.45 (multi-label, max 100 detections), VOC all-point
interpolated AP per class at IoU 0.5, mean over the 4 classes.
"""
import argparse
import json
import os
import time

import numpy as np
import torch

import synth
from detlib import map50, postprocess
from model import load_checkpoint
from onnx_numpy import Graph
from train import load_heldout, predict

HERE = os.path.dirname(os.path.abspath(__file__))
MD = os.path.join(HERE, "..", "..", "models", "defect")


def per_image(dets, gts, files, scores):
    """The line's decision per image: defective when any detection scores >= s."""
    out = {}
    for s in scores:
        missed = [f for d, g, f in zip(dets, gts, files) if g and not any(sc >= s for _, sc, _ in d)]
        flagged = [f for d, g, f in zip(dets, gts, files) if not g and any(sc >= s for _, sc, _ in d)]
        out[str(s)] = {"defective_missed": missed, "good_flagged": flagged}
    return out


def report(name, dets, gts, files, scores, res, key):
    mp, aps = map50(dets, gts, 4)
    pi = per_image(dets, gts, files, scores)
    res[key] = {"map50": mp, "ap": {synth.NAMES[c]: v for c, v in aps.items()}, "per_image": pi}
    print(f"{name:18s} mAP@0.5 {mp:.4f}  " + " ".join(f"{synth.NAMES[c]} {v:.3f}" for c, v in aps.items()), flush=True)
    nd, ng = sum(1 for g in gts if g), sum(1 for g in gts if not g)
    for s, r in pi.items():
        print(f"{'':18s}   score >= {s}: missed {len(r['defective_missed'])}/{nd} defective {r['defective_missed']}, "
              f"flagged {len(r['good_flagged'])}/{ng} good {r['good_flagged']}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "defect", "best.pt"))
    ap.add_argument("--heldout", default=os.path.join(MD, "heldout"))
    ap.add_argument("--onnx", nargs="*", default=[os.path.join(MD, "defect.onnx"), os.path.join(MD, "defect-int8.onnx")])
    ap.add_argument("--json", default=os.path.join(HERE, "runs", "defect", "eval.json"))
    ap.add_argument("--scores", nargs="*", type=float, default=[0.1, 0.25, 0.5])
    a = ap.parse_args()
    torch.set_num_threads(1)
    ims, gts = load_heldout(a.heldout)
    files = [e["file"] for e in json.load(open(os.path.join(a.heldout, "labels.json")))["images"]]
    res = {"heldout_images": len(ims), "objects": sum(len(g) for g in gts)}
    if a.ckpt:
        m = load_checkpoint(a.ckpt)
        t0 = time.time()
        dets = [postprocess(o) for o in predict(m, ims)]
        report(f"torch FP32 ({time.time() - t0:.0f}s)", dets, gts, files, a.scores, res, "torch_fp32")
    for path in a.onnx:
        g = Graph(path)
        t0 = time.time()
        dets = []
        for im in ims:
            dets.append(postprocess(g.detect(im)))
        report(f"{os.path.basename(path)} ({time.time() - t0:.0f}s, numpy)", dets, gts, files, a.scores, res,
               "onnx_" + os.path.basename(path))
    if a.json:
        json.dump(res, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
