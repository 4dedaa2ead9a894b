"""Rebuild a trainable checkpoint (best.pt) from a shipped FP32 ONNX file, so a released model can be fine-tuned
without its training run's folder (runs/ is git-ignored and not kept with a release).

usage: ckpt_from_onnx.py [--onnx ../../models/defect/defect.onnx] --out runs/shipped/best.pt
                         [--widths 18,36,60,120,128 --head 48] [--stats 256] [--seed 1]

The export folds every BatchNorm into its convolution, so the file holds W_f and b_f with
y = act(W_f * x + b_f). Training needs the BatchNorm back. This script:
  1. loads the initializers into a Detector whose BatchNorms are folded the same way (names and shapes must match
     exactly: a file of another architecture is refused, naming the first tensor that differs), and checks its
     output against the ONNX graph (onnx_numpy) on one image;
  2. runs that network on --stats generated training images and records, for each convolution, the mean and
     variance per channel of z_f = W_f * x (before the bias): the statistics BatchNorm would have tracked;
  3. writes each convolution as W = W_f / k with k = std(z_f), so W * x has unit variance as after training, and
     its BatchNorm as mean = E[W * x], var = Var[W * x], gamma = k * sqrt(var + eps), beta = b_f + k * mean.
     In eval mode that is exactly W_f * x + b_f again; in train mode a batch's own statistics are close to
     these, so fine-tuning starts from the shipped model's behaviour;
  4. checks the rebuilt network (eval mode) against the folded one and saves {"model", "arch", "iter": 0, ...}
     in train.py's checkpoint format (train.py --init, export_onnx.py, quantize_qdq.py, evaluate.py read it).
"""
import argparse
import copy
import hashlib
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

import synth
from model import Conv, Detector, at_size, for_export

HERE = os.path.dirname(os.path.abspath(__file__))


def load_initializers(m, path):
    model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    sd = m.state_dict()
    missing = [k for k in sd if k not in inits]
    if missing:
        raise SystemExit(f"{path}: no tensor '{missing[0]}' ({len(missing)} of {len(sd)} missing): not a file "
                         f"exported by export_onnx.py for these --widths/--head")
    for k, v in sd.items():
        if tuple(inits[k].shape) != tuple(v.shape):
            raise SystemExit(f"{path}: tensor '{k}' is {list(inits[k].shape)}, the network with these --widths/--head "
                             f"expects {list(v.shape)}")
    m.load_state_dict({k: torch.from_numpy(inits[k].copy()) for k in sd})
    return {p.key: p.value for p in model.metadata_props}


def conv_stats(m, images, size):
    """Per folded Conv module: (mean, var) per output channel of conv(x) - bias over all images and pixels."""
    acc = {}
    hooks = []
    for name, mod in m.named_modules():
        if isinstance(mod, Conv):
            def hook(c, inp, out, name=name):
                z = (out - c.bias.reshape(1, -1, 1, 1)).double()
                s = acc.setdefault(name, [0.0, 0.0, 0])
                s[0] = s[0] + z.sum((0, 2, 3))
                s[1] = s[1] + (z * z).sum((0, 2, 3))
                s[2] += z.shape[0] * z.shape[2] * z.shape[3]
            hooks.append(mod.conv.register_forward_hook(hook))
    with torch.no_grad():
        for i in range(0, len(images), 16):
            x = torch.from_numpy(np.stack(images[i:i + 16])).permute(0, 3, 1, 2).float().div_(255)
            m(at_size(x, size))
    for h in hooks:
        h.remove()
    out = {}
    for name, (s, ss, n) in acc.items():
        mean = s / n
        out[name] = (mean, (ss / n - mean * mean).clamp(min=0))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", default=os.path.join(HERE, "..", "..", "models", "defect", "defect.onnx"))
    ap.add_argument("--out", required=True, help="the checkpoint to write, e.g. runs/shipped/best.pt")
    ap.add_argument("--widths", default="18,36,60,120,128", help="the five stage widths (the shipped model's default)")
    ap.add_argument("--head", type=int, default=48, help="head width (the shipped model's default)")
    ap.add_argument("--stats", type=int, default=256, help="generated images to estimate BatchNorm statistics on")
    ap.add_argument("--seed", type=int, default=1, help="generator seed of those images (1: the first training set)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    w = tuple(int(v) for v in a.widths.split(","))
    if len(w) != 5:
        raise SystemExit(f"--widths: expected five comma-separated widths, got {a.widths!r}")

    folded = for_export(Detector(w=w, hc=a.head))
    md = load_initializers(folded, a.onnx)
    from onnx_numpy import Graph
    size = Graph(a.onnx).input_size() or synth.SIZE  # a model trained at another input size (train.py --imgsz)
    im, _ = synth.sample(2, 0, jpeg=False)
    t = at_size(torch.from_numpy(im).permute(2, 0, 1)[None].float() / 255, size)
    with torch.no_grad():
        ref = folded(t).numpy()
    got = Graph(a.onnx).run({"images": t.numpy()})[0]
    d = float(np.abs(got[:, 4:] - ref[:, 4:]).max())
    print(f"{a.onnx}: version {md.get('version', '?')}; folded torch vs ONNX graph: max |score difference| {d:.2e}")
    if d > 1e-4:
        raise SystemExit(f"{a.onnx}: the folded network does not reproduce the file's scores (max difference {d:.2e})")

    print(f"BatchNorm statistics on {a.stats} generated images (seed {a.seed}) ...", flush=True)
    images = [synth.sample(a.seed, i, jpeg=False)[0] for i in range(a.stats)]
    stats = conv_stats(folded, images, size)

    net = Detector(w=w, hc=a.head)
    fmods = dict(folded.named_modules())
    sd = {}
    for name, mod in net.named_modules():
        if isinstance(mod, Conv):
            fc = fmods[name].conv
            mean_f, var_f = stats[name]
            k = var_f.sqrt().clamp(min=1e-3)                         # float64, per output channel
            eps = mod.bn.eps
            mean, var = mean_f / k, var_f / (k * k)
            sd[f"{name}.conv.weight"] = (fc.weight.double() / k.reshape(-1, 1, 1, 1)).float()
            sd[f"{name}.bn.running_mean"] = mean.float()
            sd[f"{name}.bn.running_var"] = var.float()
            sd[f"{name}.bn.weight"] = (k * (var + eps).sqrt()).float()
            sd[f"{name}.bn.bias"] = (fc.bias.double() + k * mean).float()
            sd[f"{name}.bn.num_batches_tracked"] = torch.tensor(0)
    fsd = folded.state_dict()
    for k, v in net.state_dict().items():
        if k not in sd:
            sd[k] = fsd[k].clone()                                  # the heads' last convolutions (no BatchNorm)
    net.load_state_dict(sd)
    net.eval()
    net.export = True
    with torch.no_grad():
        x = at_size(torch.from_numpy(np.stack(images[:8])).permute(0, 3, 1, 2).float().div_(255), size)
        d_eval = float((net(x)[:, 4:] - folded(x)[:, 4:]).abs().max())
        probe = copy.deepcopy(net).train()                          # train mode updates running statistics
        d_train = float((probe(x)[:, 4:] - folded(x)[:, 4:]).abs().max())
    print(f"rebuilt network vs file: max |score difference| {d_eval:.2e} in eval mode, {d_train:.2e} in train mode "
          f"(batch statistics of 8 images)")
    if d_eval > 1e-4:
        raise SystemExit(f"the rebuilt network differs from {a.onnx} by {d_eval:.2e} in eval mode")
    net.export = False
    sha = hashlib.sha256(open(a.onnx, "rb").read()).hexdigest()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save({"model": net.state_dict(), "arch": {"w": list(w), "hc": a.head, "imgsz": size}, "iter": 0,
                "from_onnx": {"path": os.path.basename(a.onnx), "sha256": sha, "version": md.get("version")}}, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
