"""Static INT8 QDQ quantization of models/defect/defect.onnx, written with python3-onnx only
(onnxruntime's Python quantizer is not available here).

usage: quantize_qdq.py [--ckpt runs/defect/best.pt] [--fp32 ../../models/defect/defect.onnx]
                       [--out ../../models/defect/defect-int8.onnx] [--calib 128] [--pct 99.999]
                       [--min-score FILE] [--ranges RUN/calibration.json]

- calibration: the fused torch model runs `--calib` training images (seed 1, not the held-out set);
  forward hooks on every Conv record its input and output ranges (per batch, the `--pct` / (100 -
  pct) percentiles of the tensor, averaged over batches; the range always contains 0).
- activations: uint8, asymmetric, per tensor. The network input is images/255, so it gets the
  exact scale 1/255, zero point 0.
- weights: int8, symmetric (zero point 0), per output channel (axis 0), range [-127, 127];
  biases int32 with scale = input scale * weight scale, per channel.
- every Conv gets DQ(input), DQ(weight), DQ(bias) and Q -> DQ on its output: the pattern ORT's QDQ
  transformer fuses into QLinearConv. SiLU (Sigmoid * x), Concat, Split, MaxPool, Resize and the
  box/score decode after the heads stay in float.
"""
import argparse
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

import synth
from export_onnx import metadata, min_score_metadata, set_metadata
from model import at_size, load_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))


def calibrate(model, images, pct, batch=16):
    torch.manual_seed(0)  # the subsample of large tensors is random: keep it reproducible
    ranges = {}
    hooks = []

    def rec(key, t):
        v = t.detach().flatten()
        if v.numel() > 2_000_000:
            v = v[torch.randperm(v.numel())[:2_000_000]]
        lo = torch.quantile(v, 1 - pct / 100).item()
        hi = torch.quantile(v, pct / 100).item()
        ranges.setdefault(key, []).append((lo, hi))

    for name, mod in model.named_modules():
        if isinstance(mod, torch.nn.Conv2d):
            def hook(m, inp, out, name=name):
                rec(name + ":in", inp[0])
                rec(name + ":out", out)
            hooks.append(mod.register_forward_hook(hook))
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[i:i + batch])).permute(0, 3, 1, 2).float() / 255
            model(at_size(x, getattr(model, "imgsz", x.shape[-1])))  # as the runtime resamples them for the model
    for h in hooks:
        h.remove()
    return {k: (min(0.0, float(np.mean([a for a, _ in v]))), max(0.0, float(np.mean([b for _, b in v])))) for k, v in ranges.items()}


def u8_params(lo, hi):
    scale = max(hi - lo, 1e-8) / 255.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zp)


def quantize(fp32_path, ranges, out_path, extra=None):
    m = onnx.load(fp32_path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    new_inits = []
    drop = set()
    nodes = []
    dq_of = {}  # float tensor name -> its dequantized twin
    graph_input = g.input[0].name

    def add_init(name, arr):
        new_inits.append(numpy_helper.from_array(arr, name))
        return name

    def qdq_act(tensor, lo, hi, exact_input=False):
        if tensor in dq_of:
            return dq_of[tensor], []
        if exact_input:
            s, z = np.float32(1 / 255.0), np.uint8(0)
        else:
            s, z = u8_params(lo, hi)
        sn = add_init(tensor + "_scale", np.array(s, np.float32))
        zn = add_init(tensor + "_zero_point", np.array(z, np.uint8))
        q = helper.make_node("QuantizeLinear", [tensor, sn, zn], [tensor + "_QuantizeLinear_Output"], name=tensor + "_QuantizeLinear")
        dq = helper.make_node("DequantizeLinear", [tensor + "_QuantizeLinear_Output", sn, zn], [tensor + "_DequantizeLinear_Output"], name=tensor + "_DequantizeLinear")
        dq_of[tensor] = dq.output[0]
        return dq.output[0], [q, dq]

    nconv = 0
    for n in g.node:
        if n.op_type != "Conv":
            nodes.append(n)
            continue
        wname = n.input[1]
        mod = wname[:-len(".weight")]
        if mod + ":in" not in ranges:
            raise KeyError(f"no calibration range for Conv weight {wname}")
        nconv += 1
        x = n.input[0]
        lo, hi = ranges[mod + ":in"]
        xdq, pre = qdq_act(x, lo, hi, exact_input=(x == graph_input))
        nodes.extend(pre)
        sx = float(numpy_helper.to_array(next(t for t in new_inits if t.name == x + "_scale"))) if x + "_scale" in [t.name for t in new_inits] else None
        w = numpy_helper.to_array(inits[wname]).astype(np.float32)
        ws = np.abs(w.reshape(w.shape[0], -1)).max(1) / 127.0
        ws = np.maximum(ws, 1e-12).astype(np.float32)
        wq = np.clip(np.rint(w / ws[:, None, None, None]), -127, 127).astype(np.int8)
        drop.add(wname)
        add_init(wname + "_quantized", wq)
        add_init(wname + "_scale", ws)
        add_init(wname + "_zero_point", np.zeros(w.shape[0], np.int8))
        nodes.append(helper.make_node("DequantizeLinear", [wname + "_quantized", wname + "_scale", wname + "_zero_point"],
                                      [wname + "_DequantizeLinear_Output"], name=wname + "_DequantizeLinear", axis=0))
        inputs = [xdq, wname + "_DequantizeLinear_Output"]
        if len(n.input) > 2 and n.input[2]:
            bname = n.input[2]
            b = numpy_helper.to_array(inits[bname]).astype(np.float64)
            bs = (sx * ws.astype(np.float64)).astype(np.float32)
            bq = np.clip(np.rint(b / bs), -2 ** 31, 2 ** 31 - 1).astype(np.int32)
            drop.add(bname)
            add_init(bname + "_quantized", bq)
            add_init(bname + "_scale", bs)
            add_init(bname + "_zero_point", np.zeros(w.shape[0], np.int32))
            nodes.append(helper.make_node("DequantizeLinear", [bname + "_quantized", bname + "_scale", bname + "_zero_point"],
                                          [bname + "_DequantizeLinear_Output"], name=bname + "_DequantizeLinear", axis=0))
            inputs.append(bname + "_DequantizeLinear_Output")
        y = n.output[0]
        ypre = y + "_preq"
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        nodes.append(helper.make_node("Conv", inputs, [ypre], name=(n.name or y) + "_quant", **attrs))
        lo, hi = ranges[mod + ":out"]
        s, z = u8_params(lo, hi)
        sn = add_init(y + "_scale", np.array(s, np.float32))
        zn = add_init(y + "_zero_point", np.array(z, np.uint8))
        nodes.append(helper.make_node("QuantizeLinear", [ypre, sn, zn], [y + "_QuantizeLinear_Output"], name=y + "_QuantizeLinear"))
        nodes.append(helper.make_node("DequantizeLinear", [y + "_QuantizeLinear_Output", sn, zn], [y], name=y + "_DequantizeLinear"))
    del g.node[:]
    g.node.extend(nodes)
    keep = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(keep + new_inits)
    strides = {p.key: p.value for p in m.metadata_props if p.key in ("stride", "strides", "imgsz")}  # the FP32 file's levels and size
    set_metadata(m, metadata({"description": metadata()["description"] + " - INT8 QDQ (u8 activations per tensor, "
                                                                     "s8 weights per channel)", "quantization": "QDQ", **strides, **(extra or {})}))
    onnx.checker.check_model(m)
    onnx.save(m, out_path)
    return nconv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "runs", "defect", "best.pt"))
    ap.add_argument("--fp32", default=os.path.join(HERE, "..", "..", "models", "defect", "defect.onnx"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "models", "defect", "defect-int8.onnx"))
    ap.add_argument("--cache", default=os.path.join(HERE, "cache"))
    ap.add_argument("--calib", type=int, default=128)
    ap.add_argument("--pct", type=float, default=99.999)
    ap.add_argument("--min-score", default="", metavar="FILE",
                    help="operating_point.py --json output for the INT8 graph: written to the 'min_score' metadata")
    ap.add_argument("--ranges", default="", metavar="FILE",
                    help="use these activation ranges (the calibration.json an earlier run wrote beside --ckpt) instead of calibrating")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.ranges:
        try:
            ranges = json.load(open(a.ranges))
        except (OSError, ValueError) as e:
            raise SystemExit(f"quantize_qdq.py: --ranges {a.ranges}: not a readable calibration.json ({e})")
        if not isinstance(ranges, dict) or not all(isinstance(v, list) and len(v) == 2 for v in ranges.values()):
            raise SystemExit(f"quantize_qdq.py: --ranges {a.ranges}: expected an object of layer -> [low, high] (calibration.json)")
        n = quantize(a.fp32, ranges, a.out, min_score_metadata(a.min_score))
        print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.2f} MB): {n} Conv nodes quantized, ranges from {a.ranges}")
        return
    m = load_checkpoint(a.ckpt, fused=True)
    # --calib of the 15,000 seed-1 training images (cache/train, gen_cache.py's default set); rendered here when that
    # cache is absent, which gives the same images (each is a function of its seed and index).
    path = os.path.join(a.cache, "train.npy")
    images = np.load(path, mmap_mode="r") if os.path.exists(path) else None
    idx = np.sort(np.random.default_rng(123).choice(len(images) if images is not None else 15000, a.calib, replace=False))
    calib = np.stack([images[i] if images is not None else synth.sample(1, int(i), jpeg=True)[0] for i in idx])
    ranges = calibrate(m, calib, a.pct)
    json.dump(ranges, open(os.path.join(os.path.dirname(a.ckpt), "calibration.json"), "w"), indent=0)
    n = quantize(a.fp32, ranges, a.out, min_score_metadata(a.min_score))
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.2f} MB): {n} Conv nodes quantized, calibration {a.calib} images, "
          f"percentile {a.pct}")


if __name__ == "__main__":
    main()
