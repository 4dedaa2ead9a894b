"""Export the trained detector to ONNX in Ultralytics YOLOv8's detect layout and check it.

usage: export_onnx.py [--ckpt runs/defect/best.pt] [--out ../../models/defect/defect.onnx]

input  `images`  float32 [1, 3, S, S], RGB / 255, letterboxed with pad 114; S = 320, or the checkpoint's
       train.py --imgsz (the runtime's letterbox then enlarges the 320 px crops to it)
output `output0` float32 [1, 4 + 4, N]: cx, cy, w, h (input pixels), then sigmoid scores of
       scratch, dent, spot, missing_hole; N = (S/8)^2 + (S/16)^2 cells (2000 at 320)
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch

import synth
from model import at_size, load_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = {i: n for i, n in enumerate(synth.NAMES)}
VERSION = "1.7.0"  # the model's version in its metadata


def metadata(extra=None, imgsz=320):
    md = {
        "description": "Edge defect detector (scratch, dent, spot, missing_hole) - YOLOv8-style anchor-free, "
                       "trained on synthetic conveyor-belt parts by EdgeModels/training",
        "author": "Edge project",
        "license": "Apache-2.0",
        "version": VERSION,
        "task": "detect",
        "batch": "1",
        "imgsz": f"[{imgsz}, {imgsz}]",
        "names": str(NAMES),
        "letterbox_pad": "114",
        "normalize": "rgb/255",
    }
    md.update(extra or {})
    return md


def min_score_metadata(path):
    """{"min_score": JSON} from operating_point.py's --json file (its "min_score" object), or {} without a file.
    The runtime reads it as the model's recommended lowest score per class (EdgeModels RecommendedScores)."""
    if not path:
        return {}
    d = json.load(open(path))
    scores = d.get("min_score", d)
    if not isinstance(scores, dict) or not all(k in NAMES.values() and 0 <= float(v) <= 1 for k, v in scores.items()):
        raise SystemExit(f"{path}: expected an object of class name -> score 0..1 (operating_point.py --json), got {scores!r}")
    return {"min_score": json.dumps({k: round(float(v), 4) for k, v in scores.items()})}


def set_metadata(model, md):
    del model.metadata_props[:]
    for k, v in md.items():
        p = model.metadata_props.add()
        p.key, p.value = k, v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "defect", "best.pt"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "models", "defect", "defect.onnx"))
    ap.add_argument("--min-score", default="", metavar="FILE",
                    help="operating_point.py --json output: the per-class scores written to the 'min_score' metadata")
    a = ap.parse_args()
    torch.set_num_threads(1)
    m = load_checkpoint(a.ckpt, fused=True)
    size = getattr(m, "imgsz", 320)
    x = torch.zeros(1, 3, size, size)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.onnx.export(m, x, a.out, opset_version=13, input_names=["images"], output_names=["output0"],
                      do_constant_folding=True)
    model = onnx.load(a.out)
    set_metadata(model, metadata({"strides": str(list(m.strides)), "stride": str(max(m.strides)), **min_score_metadata(a.min_score)},
                                 imgsz=size))
    model.producer_name = "edge-training"
    onnx.checker.check_model(model)
    onnx.save(model, a.out)
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.2f} MB), ops {sorted({n.op_type for n in model.graph.node})}")
    # cross-check the graph against torch on a real image
    from onnx_numpy import Graph
    im, _ = synth.sample(2, 0, jpeg=False)
    t = torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255
    t = at_size(t, size)
    with torch.no_grad():
        ref = m(t).numpy()
    got = Graph(a.out).run({"images": t.numpy()})[0]
    print(f"output0 {got.shape}; max |onnx - torch| = {np.abs(got - ref).max():.2e} (boxes), "
          f"{np.abs(got[:, 4:] - ref[:, 4:]).max():.2e} (scores)")


if __name__ == "__main__":
    main()
