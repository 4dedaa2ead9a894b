"""mAP@0.5 on the held-out set (models/defect/heldout, seed 2) for the torch model and for the
exported ONNX graphs (run by onnx_numpy, since onnxruntime is not available in Python here).

usage: evaluate.py [--ckpt runs/defect/best.pt] [--onnx ../../models/defect/defect.onnx ../../models/defect/defect-int8.onnx]
                   [--json runs/defect/eval.json]

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "defect", "best.pt"))
    ap.add_argument("--heldout", default=os.path.join(MD, "heldout"))
    ap.add_argument("--onnx", nargs="*", default=[os.path.join(MD, "defect.onnx"), os.path.join(MD, "defect-int8.onnx")])
    ap.add_argument("--json", default=os.path.join(HERE, "runs", "defect", "eval.json"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    ims, gts = load_heldout(a.heldout)
    res = {"heldout_images": len(ims), "objects": sum(len(g) for g in gts)}
    if a.ckpt:
        m = load_checkpoint(a.ckpt)
        t0 = time.time()
        dets = [postprocess(o) for o in predict(m, ims)]
        mp, aps = map50(dets, gts, 4)
        res["torch_fp32"] = {"map50": mp, "ap": {synth.NAMES[c]: v for c, v in aps.items()}}
        print(f"torch FP32   mAP@0.5 {mp:.4f}  " + " ".join(f"{synth.NAMES[c]} {v:.3f}" for c, v in aps.items()) + f"  ({time.time() - t0:.0f}s)", flush=True)
    for path in a.onnx:
        g = Graph(path)
        t0 = time.time()
        dets = []
        for im in ims:
            x = (im.transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
            dets.append(postprocess(g.run({"images": x})[0][0]))
        mp, aps = map50(dets, gts, 4)
        key = "onnx_" + os.path.basename(path)
        res[key] = {"map50": mp, "ap": {synth.NAMES[c]: v for c, v in aps.items()}}
        print(f"{os.path.basename(path):18s} mAP@0.5 {mp:.4f}  " + " ".join(f"{synth.NAMES[c]} {v:.3f}" for c, v in aps.items()) + f"  ({time.time() - t0:.0f}s, numpy interpreter)", flush=True)
    if a.json:
        json.dump(res, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
