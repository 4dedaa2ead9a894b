"""Train the defect detector on the cached synthetic set (CPU).

usage: train.py [--minutes 45] [--iters 8000] [--batch 16] [--crop 160] [--out runs/defect]

Training runs on random crops (default 160 px, mostly centred on a defect) of the 320 px images,
which the fully convolutional model handles unchanged; the EMA weights are saved to <out>/best.pt
(`--bn-recal` re-estimates BatchNorm statistics on full 320 px images first; it lowered held-out mAP).
The cosine LR schedule follows the larger of iteration progress and time progress, so a budget
in minutes ends training on schedule on a slower (shared) machine.
"""
import argparse
import copy
import json
import math
import os
import time

import numpy as np
import torch

import synth
from detlib import compute_loss, map50, postprocess
from model import DEFAULT_HEAD, DEFAULT_WIDTHS, Detector, at_size, load_checkpoint

HERE = os.path.dirname(os.path.abspath(__file__))


def log(msg, fh=None):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    if fh:
        fh.write(line + "\n")
        fh.flush()


class Crops:
    def __init__(self, images, labels, crop, seed, class_weights=None, contrast=None, faint=(1.0, {}), hard=(1.0, {}, {}),
                 grain=None, along=(1.0, 0.3), scale=1.0):
        self.images, self.labels, self.crop, self.scale = images, labels, crop, scale
        self.rng = np.random.default_rng(seed)
        # Box weights: the box's class weight (1 by default), times faint[0] when its visible contrast is below
        # faint[1][class] (faint scratches and spots near the visibility floor are the ones the detector missed on
        # the validation set). An image is sampled as
        # often as its heaviest box says; crops centre on its boxes in proportion to their weights.
        self.class_weights = class_weights or {}
        fw, fc = faint
        con = contrast or [[1.0] * len(b) for b in labels]
        self.box_w = [np.array([self.class_weights.get(k, 1.0) * (fw if c < fc.get(k, 0.0) else 1.0) for (k, _), c in zip(boxes, cs)])
                      for boxes, cs in zip(labels, con)]
        # Scratches within along[1] rad of the brushing under them (the hardest to tell from the brushing lines)
        # weigh along[0] times more.
        if grain is not None:
            for bw, gs in zip(self.box_w, grain):
                for j, g in enumerate(gs):
                    if g is not None and g <= along[1]:
                        bw[j] *= along[0]
        # Hard examples (mine.py): images where a model still made a false positive or scored a defect weakly are
        # sampled hard[0] times as often; weak boxes weigh hard[0] times more; half of a false-positive image's
        # crops centre on one of its false positives.
        hw, self.neg, weak = hard
        for i, js in weak.items():
            for j in js:
                self.box_w[i][j] *= hw
        w = np.array([max([1.0] + bw.tolist() + ([hw] if i in self.neg else [])) for i, bw in enumerate(self.box_w)])
        self.p = w / w.sum()

    def one(self, idx):
        img = self.images[idx]
        boxes = self.labels[idx]
        S, c, rng = synth.SIZE, self.crop, self.rng
        neg = self.neg.get(idx)
        if c >= S:
            x0 = y0 = 0
        elif neg and rng.random() < 0.5:
            b = neg[int(rng.integers(len(neg)))]
            cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-c * 0.35, c * 0.35), (b[1] + b[3]) / 2 + rng.uniform(-c * 0.35, c * 0.35)
            x0, y0 = int(np.clip(cx - c / 2, 0, S - c)), int(np.clip(cy - c / 2, 0, S - c))
        elif boxes and rng.random() < 0.75:
            # centre on a box, the weighted classes' boxes proportionally more often
            bw = self.box_w[idx]
            k, b = boxes[int(rng.choice(len(boxes), p=bw / bw.sum()))]
            cx, cy = (b[0] + b[2]) / 2 + rng.uniform(-c * 0.35, c * 0.35), (b[1] + b[3]) / 2 + rng.uniform(-c * 0.35, c * 0.35)
            x0, y0 = int(np.clip(cx - c / 2, 0, S - c)), int(np.clip(cy - c / 2, 0, S - c))
        else:
            x0, y0 = int(rng.integers(0, S - c + 1)), int(rng.integers(0, S - c + 1))
        im = img[y0:y0 + c, x0:x0 + c]
        out = []
        for k, b in boxes:
            nb = [max(b[0] - x0, 0), max(b[1] - y0, 0), min(b[2] - x0, c), min(b[3] - y0, c)]
            area = (b[2] - b[0]) * (b[3] - b[1])
            na = max(nb[2] - nb[0], 0) * max(nb[3] - nb[1], 0)
            if na >= 0.6 * area and nb[2] - nb[0] > 2 and nb[3] - nb[1] > 2:
                out.append((k, nb))
        bx = np.array([b for _, b in out], np.float32).reshape(-1, 4)
        cl = np.array([k for k, _ in out], np.int64)
        # flips and 90 degree turns (parts lie at any angle on the belt)
        if rng.random() < 0.5:
            im = im[:, ::-1]
            bx[:, [0, 2]] = c - bx[:, [2, 0]]
        if rng.random() < 0.5:
            im = im[::-1]
            bx[:, [1, 3]] = c - bx[:, [3, 1]]
        if rng.random() < 0.5:  # transpose
            im = im.transpose(1, 0, 2)
            bx = bx[:, [1, 0, 3, 2]]
        return np.ascontiguousarray(im), bx, cl

    def batch(self, n):
        idx = self.rng.choice(len(self.images), n, p=self.p)
        ims, bxs, cls = zip(*(self.one(int(i)) for i in idx))
        x = torch.from_numpy(np.stack(ims)).permute(0, 3, 1, 2).float().div_(255)
        if self.scale != 1.0:  # the model sees the parts larger (--imgsz): crops resampled as the runtime's letterbox does
            x = at_size(x, round(self.crop * self.scale))
            bxs = [b * self.scale for b in bxs]
        M = max(1, max(len(b) for b in bxs))
        gb = torch.zeros(n, M, 4)
        gc = torch.zeros(n, M, dtype=torch.long)
        gm = torch.zeros(n, M, dtype=torch.bool)
        for i, (b, c) in enumerate(zip(bxs, cls)):
            gb[i, :len(b)] = torch.from_numpy(b)
            gc[i, :len(c)] = torch.from_numpy(c)
            gm[i, :len(c)] = True
        return x, gb, gc, gm


@torch.no_grad()
def predict(model, images, batch=8):
    """images: uint8 [N,320,320,3] -> list of [4+C, N] numpy outputs (ONNX layout), boxes in image pixels.
    A model trained at another input size (`imgsz`, train.py --imgsz) gets the images resampled to it (bilinear, as
    the runtime's letterbox does), and its boxes are mapped back."""
    was = model.export
    model.export = True
    model.eval()
    size = getattr(model, "imgsz", synth.SIZE)
    outs = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(np.array(images[i:i + batch])).permute(0, 3, 1, 2).float().div_(255)
        f = x.shape[-1] / size
        for o in model(at_size(x, size)).numpy():
            if f != 1:
                o[:4] *= f
            outs.append(o)
    model.export = was
    return outs


def evaluate(model, images, gts, nc=4):
    outs = predict(model, images)
    dets = [postprocess(o) for o in outs]
    return map50(dets, gts, nc)


def load_heldout(d):
    from PIL import Image
    meta = json.load(open(os.path.join(d, "labels.json")))
    ims, gts = [], []
    for e in meta["images"]:
        ims.append(np.asarray(Image.open(os.path.join(d, e["file"])).convert("RGB")))
        gts.append([(synth.NAMES.index(o["class"]), o["box"]) for o in e["objects"]])
    return np.stack(ims), gts


class Concat:
    """Several memory-mapped image arrays indexed as one (only len() and integer indexing are needed)."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.starts = np.cumsum([0] + [len(x) for x in arrays])

    def __len__(self):
        return int(self.starts[-1])

    def __getitem__(self, i):
        k = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.arrays[k][i - self.starts[k]]


def load_sets(cache, names):
    """The cached training sets `names` as one: (images, meta) with labels (and contrast, grain) concatenated in order."""
    arrays, metas = [], []
    for n in names:
        arrays.append(np.load(os.path.join(cache, n + ".npy"), mmap_mode="r"))
        metas.append(json.load(open(os.path.join(cache, n + ".json"))))
        if len(arrays[-1]) != len(metas[-1]["labels"]):
            raise SystemExit(f"{n}: {len(arrays[-1])} images but {len(metas[-1]['labels'])} label lists")
    if len(arrays) == 1:
        return arrays[0], metas[0]
    meta = {"seed": "+".join(str(m["seed"]) for m in metas), "labels": [l for m in metas for l in m["labels"]]}
    if all("contrast" in m for m in metas):
        meta["contrast"] = [c for m in metas for c in m["contrast"]]
    if all("grain" in m for m in metas):
        meta["grain"] = [g for m in metas for g in m["grain"]]
    return Concat(arrays), meta


def load_hard(path, names, lengths):
    """mine.py's output -> ({global image index: [false positive boxes]}, {global image index: [weak box indices]})
    for the sets in `names` (concatenated in that order, with these lengths); other sets' entries are skipped."""
    r = json.load(open(path))
    start = dict(zip(names, np.cumsum([0] + list(lengths))[:-1].tolist()))
    neg, weak, skipped = {}, {}, 0
    for e in r["images"]:
        if e["set"] not in start:
            skipped += 1
            continue
        g = start[e["set"]] + e["i"]
        if e["fp"]:
            neg[g] = [b for _, _, b in e["fp"]]
        if e["weak"]:
            weak[g] = [j for j, _ in e["weak"]]
    return neg, weak, skipped, r.get("ckpt", "?")


def target_floor(spec):
    """--target-floor as detlib.assign takes it: one float for every class, or a tensor of one per class from
    CLASS=F items (classes not named get 0). A float alone (a run saved before per-class floors) is kept."""
    if isinstance(spec, (int, float)):
        return float(spec)
    if len(spec) == 1 and "=" not in spec[0]:
        return float(spec[0])
    floor = torch.zeros(len(synth.NAMES))
    for kv in spec:
        if "=" not in kv:
            raise SystemExit(f"--target-floor: give one number, or CLASS=F items, not both ({' '.join(spec)})")
        k, v = kv.split("=", 1)
        if k not in synth.NAMES:
            raise SystemExit(f"--target-floor: unknown class {k!r} (classes: {', '.join(synth.NAMES)})")
        floor[synth.NAMES.index(k)] = float(v)
    return floor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.path.join(HERE, "cache"))
    ap.add_argument("--train-set", nargs="+", default=["train"],
                    help="cache/NAME.npy + NAME.json written by gen_cache.py --name NAME; several are used as one set")
    ap.add_argument("--heldout", default=os.path.join(HERE, "..", "..", "models", "defect", "heldout"))
    ap.add_argument("--out", default=os.path.join(HERE, "runs", "defect"))
    ap.add_argument("--minutes", type=float, default=45.0)
    ap.add_argument("--iters", type=int, default=8000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=160)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--val", default="", help="validation set (make_heldout.py --seed 3 --out DIR) for the progress lines; default: the held-out set")
    ap.add_argument("--init", default="", help="start from these weights (a best.pt/last.pt), e.g. to fine-tune")
    ap.add_argument("--class-weight", nargs="*", default=[], metavar="CLASS=W",
                    help="sample images with this class W times as often, and centre crops on its boxes W times as often")
    ap.add_argument("--faint-weight", type=float, default=1.0, metavar="W",
                    help="sample defects fainter than --faint-below W times as often (needs a cache with contrast)")
    ap.add_argument("--faint-below", nargs="*", default=["scratch=0.2", "spot=0.2"], metavar="CLASS=C",
                    help="per class, the visible contrast (synth._contrast) below which a defect counts as faint")
    ap.add_argument("--grain-weight", type=float, default=1.0, metavar="W",
                    help="sample scratches within --grain-below rad of the brushing W times as often (needs a cache with grain)")
    ap.add_argument("--grain-below", type=float, default=0.3, metavar="RAD",
                    help="a scratch's angle to the brushing under it (synth.render's grain) at or below which it counts as along-grain")
    ap.add_argument("--hard", nargs="*", default=[], metavar="FILE",
                    help="hard examples mined by mine.py (false positives and weakly scored defects of a model on these sets)")
    ap.add_argument("--hard-weight", type=float, default=4.0, metavar="W",
                    help="sample --hard images W times as often (half their crops centred on the false positives)")
    ap.add_argument("--eval-n", type=int, default=48)
    ap.add_argument("--widths", default=",".join(map(str, DEFAULT_WIDTHS)), help="channel widths of the five stages")
    ap.add_argument("--head", type=int, default=DEFAULT_HEAD, help="channels of the box and class heads")
    ap.add_argument("--p2", type=int, default=0, metavar="HC",
                    help="add a stride-4 head with HC channels (to a new model, or to the --init model with new weights); "
                         "its cells are assigned on their own")
    ap.add_argument("--pre", type=int, default=0, metavar="C",
                    help="add a residual pre-filter of C channels at the input's full resolution (Detector.add_pre; to a "
                         "new model, or to the --init model, whose outputs it leaves unchanged at the start)")
    ap.add_argument("--new-lr-mult", type=float, default=10.0, metavar="X",
                    help="learning-rate multiple for the weights --p2 adds to an --init model")
    ap.add_argument("--target-floor", nargs="+", default=["0"], metavar="F|CLASS=F",
                    help="lowest class target of a box's assigned cells (default 0: the IoU-aware target, at most the "
                         "box's best IoU; 1: binary), so a defect whose box is hard to fit is still scored as found; "
                         "one number for every class, or CLASS=F per class (others 0), e.g. scratch=1")
    ap.add_argument("--imgsz", type=int, default=0, metavar="N",
                    help="the model's input size (default: the --init model's, else 320): the 320 px images and their "
                         "crops are resampled by N/320, so the model sees the parts larger; crop x N/320 must be a "
                         "multiple of 32")
    ap.add_argument("--resume", default="", metavar="RUN_DIR",
                    help="continue the run in RUN_DIR from its last.pt (written every --eval-every iterations): same "
                         "arguments, weights, optimiser, sampler and schedule position, so a run longer than a session "
                         "can be stopped and continued; other options given with it are ignored except --threads")
    ap.add_argument("--bn-recal", action="store_true",
                    help="re-estimate BatchNorm statistics on full 320 px images after training (off: it lowered "
                         "held-out mAP@0.5 from 0.895 to 0.853 in the committed run)")
    a = ap.parse_args()
    resume = None
    if a.resume:
        path = os.path.join(a.resume, "last.pt")
        if not os.path.isfile(path):
            raise SystemExit(f"--resume {a.resume}: no last.pt there (train.py writes it every --eval-every iterations)")
        resume = torch.load(path, map_location="cpu", weights_only=False)
        if "state" not in resume:
            raise SystemExit(f"--resume {path}: written by a train.py without resume state (weights only); start a "
                             f"new run with --init {path} instead")
        threads, rdir = a.threads, a.resume
        a = argparse.Namespace(**resume["state"]["args"])
        a.threads, a.resume, a.out = threads, rdir, rdir
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    fh = open(os.path.join(a.out, "train.log"), "a")

    images, meta = load_sets(a.cache, a.train_set)
    labels = meta["labels"]
    log(f"train set: {len(images)} images (seed {meta['seed']}), {sum(len(l) for l in labels)} boxes", fh)
    ho_ims, ho_gts = load_heldout(a.heldout)
    log(f"held-out: {len(ho_ims)} images from {a.heldout}", fh)
    # Progress is watched on a validation set (another seed), so no choice made while training looks at the held-out set.
    va_ims, va_gts = load_heldout(a.val) if a.val else (ho_ims, ho_gts)
    log(f"progress evaluated on: {a.val or a.heldout}", fh)

    if resume:  # the run's own architecture; its weights are loaded below
        model = Detector(w=tuple(resume["arch"]["w"]), hc=resume["arch"]["hc"], p2=resume["arch"].get("p2", 0),
                         pre=resume["arch"].get("pre", 0))
    else:
        model = load_checkpoint(a.init) if a.init else Detector(w=tuple(int(v) for v in a.widths.split(",")), hc=a.head)
    arch = {"w": [m.out_channels for m in (model.stem.conv, model.s2[0].conv, model.s3[0].conv, model.s4[0].conv, model.s5[0].conv)],
            "hc": model.heads[0].box[0].conv.out_channels}
    new_params = set()
    fresh_p2 = resume["state"]["fresh_p2"] if resume else bool(a.p2 and a.init and not model.p2)
    if a.p2 and not model.p2:
        model.add_p2(a.p2)
    if fresh_p2:  # the stride-4 branch is new beside trained weights: it learns at --new-lr-mult times the rate
        new_params = {id(p) for p in list(model.n2.parameters()) + list(model.head2.parameters())}
    if model.p2:
        arch["p2"] = model.p2
    pre = getattr(a, "pre", 0)  # a run resumed from before the option has none
    fresh_pre = resume["state"].get("fresh_pre", False) if resume else bool(pre and a.init and not model.pre)
    if pre and not model.pre:
        model.add_pre(pre)
    if fresh_pre:  # the pre-filter is new beside trained weights: it learns at --new-lr-mult times the rate too
        new_params |= {id(p) for p in list(model.pre1.parameters()) + list(model.pre2.parameters())}
    if model.pre:
        arch["pre"] = model.pre
    imgsz = (resume["arch"].get("imgsz", synth.SIZE) if resume else a.imgsz or getattr(model, "imgsz", synth.SIZE))
    scale = imgsz / synth.SIZE
    if (a.crop * scale) % 32:
        raise SystemExit(f"--crop {a.crop} at --imgsz {imgsz} is {a.crop * scale:g} px for the model, not a multiple of 32")
    model.imgsz = arch["imgsz"] = imgsz
    if a.init and not resume:
        log(f"initialised from {a.init}", fh)
    if imgsz != synth.SIZE:
        log(f"input size {imgsz}: images and crops resampled x{scale:g} ({a.crop} px crops -> {round(a.crop * scale)} px)", fh)
    nparam = sum(p.numel() for p in model.parameters())
    log(f"model: {nparam / 1e6:.3f}M params, strides {model.strides}", fh)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    groups = {}  # (decays, new) -> params
    for n_, p in model.named_parameters():
        groups.setdefault((p.ndim > 1, id(p) in new_params), []).append(p)
    opt = torch.optim.AdamW([{"params": ps, "weight_decay": 5e-4 if dec else 0.0, "mult": a.new_lr_mult if new else 1.0}
                             for (dec, new), ps in sorted(groups.items())], lr=a.lr, betas=(0.9, 0.999))
    if new_params:
        log(f"new {'stride-4 branch' if fresh_p2 else 'pre-filter'}{' and pre-filter' if fresh_p2 and fresh_pre else ''}: "
            f"{sum(p.numel() for p in model.parameters() if id(p) in new_params)} params at {a.new_lr_mult}x the learning rate", fh)
    weights = {synth.NAMES.index(k): float(v) for k, v in (kv.split("=") for kv in a.class_weight)}
    if a.faint_weight != 1.0 and "contrast" not in meta:
        raise SystemExit(f"--faint-weight needs each box's contrast: re-render {' '.join(a.train_set)} with this gen_cache.py")
    if a.grain_weight != 1.0 and "grain" not in meta:
        raise SystemExit(f"--grain-weight needs each scratch's angle to the brushing: re-render {' '.join(a.train_set)} with this gen_cache.py")
    faint = {synth.NAMES.index(k): float(v) for k, v in (kv.split("=") for kv in a.faint_below)}
    spec = getattr(a, "target_floor", 0.0)  # a run resumed from before the option has none
    floor = target_floor(spec)
    if not isinstance(floor, float) or floor > 0:
        log(f"class target floor: {' '.join(spec) if isinstance(spec, list) else spec}", fh)
    neg, weak = {}, {}
    for f in a.hard:
        lengths = [len(x) for x in images.arrays] if isinstance(images, Concat) else [len(images)]
        n_, w_, skipped, src = load_hard(f, a.train_set, lengths)
        for k, v in n_.items():
            neg.setdefault(k, []).extend(v)
        for k, v in w_.items():
            weak.setdefault(k, []).extend(j for j in v if j not in weak.get(k, []))
        log(f"hard examples from {f} (mined with {src}): {sum(len(v) for v in n_.values())} false positives on {len(n_)} images, "
            f"{sum(len(v) for v in w_.values())} weak defects on {len(w_)} images, {skipped} entries of other sets skipped; "
            f"sampled {a.hard_weight}x", fh)
    data = Crops(images, labels, a.crop, a.seed + 1, weights, meta.get("contrast"), (a.faint_weight, faint),
                 (a.hard_weight, neg, weak), meta.get("grain"), (a.grain_weight, a.grain_below), scale)
    if a.faint_weight != 1.0:
        nf = sum(1 for bx, cs in zip(labels, meta["contrast"]) if any(c < faint.get(k, 0.0) for (k, _), c in zip(bx, cs)))
        log(f"faint defects ({' '.join(a.faint_below)}) sampled {a.faint_weight}x: in {nf} images", fh)
    if a.grain_weight != 1.0:
        ng = sum(1 for gs in meta["grain"] if any(g is not None and g <= a.grain_below for g in gs))
        log(f"scratches within {a.grain_below} rad of the brushing sampled {a.grain_weight}x: in {ng} images", fh)
    warm = 60
    t0 = time.time()
    budget = a.minutes * 60
    it = 0
    if resume:
        st = resume["state"]
        model.load_state_dict(st["model"])
        ema.load_state_dict(resume["model"])
        opt.load_state_dict(st["opt"])
        data.rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        it, t0 = st["it"], time.time() - st["elapsed"]
        log(f"resumed {a.resume} at iteration {it}, {st['elapsed'] / 60:.1f} of {a.minutes:g} min", fh)

    def save_last():  # written whole, then renamed, so a run stopped while saving keeps the previous last.pt
        state = {"args": vars(a), "model": model.state_dict(), "opt": opt.state_dict(), "it": it,
                 "elapsed": time.time() - t0, "rng": data.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                 "fresh_p2": fresh_p2, "fresh_pre": fresh_pre}
        tmp = os.path.join(a.out, "last.pt.tmp")
        torch.save({"model": ema.state_dict(), "arch": arch, "iter": it, "state": state}, tmp)
        os.replace(tmp, os.path.join(a.out, "last.pt"))
    run = np.zeros(4)
    nrun = 0
    while True:
        prog = max(it / a.iters, (time.time() - t0) / budget)
        if prog >= 1.0:
            break
        lr = a.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * prog)))
        if it < warm:
            lr *= (it + 1) / warm
        for g in opt.param_groups:
            g["lr"] = lr * g["mult"]
        model.train()
        x, gb, gc, gm = data.batch(a.batch)
        box, cls, shapes = model(x)
        loss, parts = compute_loss(box, cls, shapes, model.strides, gb, gc, gm, separate_first=bool(model.p2),
                                   floor=floor)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        it += 1
        d = 0.998 * (1 - math.exp(-it / 150))
        with torch.no_grad():
            msd = model.state_dict()
            for k, v in ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
                else:
                    v.copy_(msd[k])
        run += np.array([loss.item(), *parts[:3]])
        nrun += 1
        if it % 20 == 0:
            el = time.time() - t0
            r = run / nrun
            log(f"iter {it} ({it * a.batch / len(images):.2f} epochs) loss {r[0]:.3f} cls {r[1]:.3f} giou {r[2]:.3f} l1 {r[3]:.3f} fg {parts[3]} lr {lr:.5f} {el / 60:.1f} min {el / it:.2f} s/it", fh)
            run[:] = 0
            nrun = 0
        if it % a.eval_every == 0:
            m, aps = evaluate(ema, va_ims[:a.eval_n], va_gts[:a.eval_n])
            log(f"  eval (EMA, first {a.eval_n} {'validation' if a.val else 'held-out'}) mAP@0.5 {m:.3f} " + " ".join(f"{synth.NAMES[c]} {v:.3f}" for c, v in aps.items()), fh)
            save_last()
    train_s = time.time() - t0
    log(f"training done: {it} iterations, {it * a.batch} crops of {a.crop}px, {train_s / 60:.1f} min", fh)

    # optionally re-estimate BatchNorm statistics on full 320 px images (crops have a different belt/part mix)
    if a.bn_recal:
        bn_recal(ema, images, a.seed, fh)
    # With a validation set the held-out set is left to evaluate.py, so choosing between runs never sees it.
    fin_ims, fin_gts, fin_name = (va_ims, va_gts, "validation") if a.val else (ho_ims, ho_gts, "held-out")
    m, aps = evaluate(ema, fin_ims, fin_gts)
    log(f"FINAL {fin_name} ({len(fin_ims)} images) mAP@0.5 {m:.4f} " + " ".join(f"{synth.NAMES[c]} {v:.3f}" for c, v in aps.items()), fh)
    torch.save({"model": ema.state_dict(), "arch": arch, "iter": it, "train_minutes": train_s / 60, "map50": m,
                "aps": {synth.NAMES[c]: v for c, v in aps.items()}, "args": vars(a), "params": nparam},
               os.path.join(a.out, "best.pt"))
    json.dump({"iters": it, "batch": a.batch, "crop": a.crop, "train_minutes": round(train_s / 60, 1), "map50": m,
               "aps": {synth.NAMES[c]: v for c, v in aps.items()}, "params": nparam},
              open(os.path.join(a.out, "summary.json"), "w"), indent=1)


def bn_recal(ema, images, seed, fh):
    t1 = time.time()
    for m_ in ema.modules():
        if isinstance(m_, torch.nn.BatchNorm2d):
            m_.reset_running_stats()
            m_.momentum = None  # cumulative average
    ema.train()
    rng = np.random.default_rng(seed + 2)
    with torch.no_grad():
        for _ in range(16):
            idx = np.sort(rng.choice(len(images), 16, replace=False))
            x = torch.from_numpy(np.stack([images[i] for i in idx])).permute(0, 3, 1, 2).float().div_(255)
            ema(x)
    ema.eval()
    log(f"BatchNorm re-estimated on 256 full images in {time.time() - t1:.0f}s", fh)


if __name__ == "__main__":
    main()
