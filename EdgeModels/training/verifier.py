"""A second look at the detector's uncertain scratches: a small classifier on a crop around each candidate box.

usage: verifier.py mine   --ckpt runs/h4/best.pt --sets train16 --out runs/vf/c16.npz [--lo 0.05] [--limit N]
       verifier.py pairs  --seed 31 --count 6000 --out runs/vf/p31.npz [--max-contrast 0.18]
       verifier.py train  --cands runs/vf/c16.npz [more.npz ...] --out runs/vf/v16 [--minutes 7] [--iters 6000] [--norm]
                          [--pair-weight 2] [--stem]
       verifier.py score  --ckpt runs/h4/best.pt --verifier runs/vf/v16/best.pt [more.pt] --set cache/val4mix --out S.npz [--tta]
                          [--raw saved_outputs.npy]
       verifier.py point  --scores S.npz [S2.npz] --set cache/val4mix [cache/val23mix] --min-score runs/h4/op_val4mix.json
                          [--to] [--flips FLIPS.npy [--flip-weight 0.5]] [--json point.json]
       verifier.py flips  --ckpt runs/h4/best.pt --set cache/val4mix cache/val23mix --min-score runs/h4/op_val4mix.json
                          [--raw OUT1.npy OUT2.npy] [--scores S1.npz S2.npz] [--lo 0.3] [--hi 0.95]
       verifier.py look   --scores S.npz --set cache/val4mix 0951.jpg ...
       verifier.py export --verifier runs/vf/v16/best.pt [more.pt ...] --point point.json --version 1.0.0 [--tta] --out FILE.onnx

The detector scores a faint scratch on near-white brushed metal (the held-out `0122.jpg`) about as high as the
brushing lines and edge shadows of good parts, so no scratch threshold takes one and passes the other. The line can
afford a second look at the few boxes in between:
  - `mine` runs the detector over a training set it was NOT trained on (its scores there are the ones the line will
    see) and keeps every box whose best class is `scratch` with a score of at least --lo (class-wise NMS, as the
    runtime's single-label decoder), with a crop of CROP x CROP pixels around the box's centre (pad 114, as the
    letterbox) and the box drawn as a fourth channel (`crop`), labelled by whether it overlaps a labelled defect of
    any class (intersection over the smaller box >= 0.3, as mine.py);
  - `pairs` renders twins (synth.render classes/clean): a part with one faint scratch (contrast at most
    --max-contrast) and the same part, surface, lighting and noise without it, both cut at the scratch's box (its
    sides moved by up to --jitter pixels): a defect crop and a good crop that differ only by the scratch;
  - `train` fits VerifierNet (8 Conv-BN-SiLU layers, 16-64 channels, mean and max pooled; 0.12 M parameters; --stem
    puts one more at the crop's full resolution before the first stride, as verifier 1.3.0 has) to those
    crops with binary cross-entropy, boxes scoring 0.1-0.9 drawn --band-weight times as often, random flips, turns,
    shifts of up to 4 pixels and exposure (twins, given as --cands too, drawn --pair-weight times as often as a mined
    box outside the band); a tenth of the images is held back for the progress lines;
  - `score` runs detector and classifier over a labelled set (--tta: the classifier averaged over the crop's eight
    flips and turns, as `export --tta` bakes into the graph);
  - `point` chooses where the classifier decides, with the detector's thresholds fixed: a scratch box also counts
    when its detector score is at least LO and the classifier's at least V. The choice is operating_point.py's rule:
    fewest errors on the validation set (missed defective + flagged good images), ties to the fewest labelled defects
    missed as if each were alone on its part, then to the widest gap between V and the best box on a good image,
    then the lower LO; V then moves to the middle between that good box and the weakest box on a defective image it
    confirms, the decisions unchanged. With --to it also chooses HI (none, or 0.75-0.95 in steps of 0.05; ties to
    the lower): a scratch box from LO up to HI then counts only when the classifier gives at least V, even above the
    scratch threshold, and one from HI up always counts, so the second look vetoes as well as confirms (verifier
    1.2.0). Never run it on the held-out set;
  - `flips` measures another second look, not shipped: the detector itself on the image's three flips, its four
    views' scores averaged, beside the verifier (model card, "Tried after 1.1.0"; --hi takes the boxes above the
    scratch threshold too, as a band with `to` needs: "The detector's own flips under the veto");
  - `export` writes the ONNX file the runtime loads beside the detector (EdgeModels DetectionVerifier): input
    `crop` [1, 4, 64, 64], output `verified` [1, 1], metadata `task` = verify, `class`, `crop`, `band` =
    {"from": LO, "min": V}, or {"from": LO, "to": HI, "min": V} when `point --to` chose an upper end.
"""
import argparse
import itertools
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn

import synth
from detlib import nms, overlap

HERE = os.path.dirname(os.path.abspath(__file__))
CROP = 64
PAD = 114
SCRATCH = 0


def candidates(out, cls=SCRATCH, lo=0.05, iou=0.45):
    """out: [4+C, N] (ONNX layout) -> (boxes [K, 4] x1y1x2y2, scores [K]): the boxes whose best class is `cls` with a
    score of at least lo, after NMS, highest first (the runtime's single-label decode)."""
    sc = out[4:]
    best = sc.argmax(0)
    top = sc.max(0)
    sel = np.nonzero((best == cls) & (top >= lo))[0]
    if sel.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    c = out[:4, sel].T
    b = np.concatenate([c[:, :2] - c[:, 2:] / 2, c[:, :2] + c[:, 2:] / 2], 1).astype(np.float32)
    s = top[sel].astype(np.float32)
    keep = nms(b, s, iou)
    return b[keep], s[keep]


def crop(im, box, size=CROP):
    """uint8 HxWx3 image, box x1y1x2y2 -> float32 [4, size, size]: RGB / 255 around the box's centre (pad 114 outside
    the image) and the box as a 0/1 mask. The centre is rounded down to a pixel; the crop spans centre - size/2 to
    centre + size/2."""
    h, w = im.shape[:2]
    cx, cy = int(np.floor((box[0] + box[2]) / 2)), int(np.floor((box[1] + box[3]) / 2))
    x0, y0 = cx - size // 2, cy - size // 2
    out = np.full((size, size, 3), PAD, np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + size, w), min(y0 + size, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = im[sy0:sy1, sx0:sx1]
    m = np.zeros((size, size), np.float32)
    mx0, my0 = int(np.floor(box[0])) - x0, int(np.floor(box[1])) - y0
    mx1, my1 = int(np.ceil(box[2])) - x0, int(np.ceil(box[3])) - y0
    m[max(my0, 0):max(min(my1, size), 0), max(mx0, 0):max(min(mx1, size), 0)] = 1
    return np.concatenate([out.transpose(2, 0, 1).astype(np.float32) / 255, m[None]], 0)


class VerifierNet(nn.Module):
    """[B, 4, 64, 64] -> [B, 1] probability that the box holds a defect. With norm=True the network also sees the crop's
    colour channels standardised by their own mean and spread, so a scratch a few grey levels from a near-white
    surface is as loud as one on dark metal."""

    def __init__(self, w=(16, 32, 48, 64), norm=False, stem=False):
        super().__init__()
        self.norm = norm
        layers, c = [], 7 if norm else 4
        if stem:  # one layer at the crop's full resolution before the first stride, for lines a pixel wide
            layers += [nn.Conv2d(c, w[0], 3, 1, 1), nn.BatchNorm2d(w[0]), nn.SiLU()]
            c = w[0]
        for k in w:
            layers += [nn.Conv2d(c, k, 3, 2, 1), nn.BatchNorm2d(k), nn.SiLU(),
                       nn.Conv2d(k, k, 3, 1, 1), nn.BatchNorm2d(k), nn.SiLU()]
            c = k
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(2 * c, 1)
        self.export = False

    def forward(self, x):
        if self.norm:
            rgb = x[:, :3]
            mu = rgb.mean((1, 2, 3), keepdim=True)
            sd = ((rgb - mu) ** 2).mean((1, 2, 3), keepdim=True).add(1e-4).sqrt()
            x = torch.cat([rgb, (rgb - mu) / sd, x[:, 3:]], 1)
        f = self.body(x)
        z = self.fc(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))
        return torch.sigmoid(z) if self.export else z


def cmd_mine(a):
    from model import load_checkpoint
    from train import predict
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.ckpt).eval()
    xs, ys, ds, src = [], [], [], []
    for name in a.sets:
        ims = np.load(os.path.join(a.cache, name + ".npy"), mmap_mode="r")
        labels = json.load(open(os.path.join(a.cache, name + ".json")))["labels"]
        n = min(len(ims), a.limit) if a.limit else len(ims)
        t0 = time.time()
        for i0 in range(0, n, 256):
            outs = predict(model, ims[i0:min(i0 + 256, n)])
            for k, o in enumerate(outs):
                i = i0 + k
                gts = np.array([b for _, b in labels[i]], np.float64).reshape(-1, 4)
                for b, s in zip(*candidates(o, lo=a.lo)):
                    pos = bool(len(gts)) and bool((overlap(b, gts) >= 0.3).any())
                    xs.append((crop(ims[i], b, CROP + 8) * 255).round().astype(np.uint8))
                    ys.append(pos)
                    ds.append(s)
                    src.append((a.sets.index(name), i))
            done = min(i0 + 256, n)
            print(f"{name}: {done}/{n} images, {len(ys)} candidates ({sum(ys)} on defects), "
                  f"{(n - done) / (done / (time.time() - t0)) / 60:.1f} min left", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    np.savez(a.out, x=np.stack(xs), y=np.array(ys), det=np.array(ds, np.float32), src=np.array(src), sets=np.array(a.sets))
    ys, ds = np.array(ys), np.array(ds)
    band = (ds >= 0.1) & (ds < 0.9)
    print(f"wrote {a.out}: {len(ys)} candidates, {ys.sum()} on defects; in 0.1-0.9: {band.sum()} ({ys[band].sum()} on defects)")


def _pair(args):
    """One twin pair for `pairs`: image `index` of stream `seed` drawn with a single scratch (synth.render classes=[0]),
    redrawn until the scratch's contrast is in [MIN_CONTRAST, hi]; then the same draw without it (clean=True)."""
    seed, index, mix, hi, jitter = args
    for attempt in range(50):
        key = [seed, index, attempt]
        rng = np.random.default_rng(key)
        q = int(rng.integers(75, 96))
        info = {}
        im, boxes = synth.render(rng, q, info, classes=[SCRATCH], **mix)
        if len(boxes) == 1 and synth.MIN_CONTRAST <= info["contrast"][0] <= hi:
            break
    else:
        return None
    rng = np.random.default_rng(key)
    twin, _ = synth.render(rng, int(rng.integers(75, 96)), None, classes=[SCRATCH], clean=True, **mix)
    box = np.array(boxes[0][1], np.float64) + np.random.default_rng([seed, index, 999]).uniform(-jitter, jitter, 4)
    return ((crop(im, box, CROP + 8) * 255).round().astype(np.uint8), (crop(twin, box, CROP + 8) * 255).round().astype(np.uint8),
            info["contrast"][0])


def cmd_pairs(a):
    """Twin crops: a part with one faint scratch, and the same part (same surface, brushing, lighting and noise) without
    it, cut at the same box: meant to teach the verifier that the scratch, not the texture around it, makes the
    difference. Measured, it made the verifier worse in the band (a clean twin is an easy negative; the hard ones are
    the hairlines, lint and shadows the detector boxes, which the mined crops hold): model card, "Tried after 1.1.0"."""
    from multiprocessing import Pool
    mix = dict(same_tone=a.same_tone, along_grain=a.along_grain, bright_metal=a.bright, clutter=a.clutter, hairline=a.hairline)
    jobs = [(a.seed, i, mix, a.max_contrast, a.jitter) for i in range(a.count)]
    xs, ys, src, con = [], [], [], []
    t0 = time.time()
    with Pool(a.workers) as pool:
        for i, r in enumerate(pool.imap(_pair, jobs, chunksize=16)):
            if r is not None:
                xs += [r[0], r[1]]
                ys += [True, False]
                src += [(0, i), (0, i)]
                con.append(r[2])
            if (i + 1) % 500 == 0:
                print(f"pairs: {i + 1}/{a.count}, {(a.count - i - 1) / ((i + 1) / (time.time() - t0)) / 60:.1f} min left", flush=True)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    # det -1 marks twins (no detector score): cmd_train draws them with --pair-weight.
    np.savez(a.out, x=np.stack(xs), y=np.array(ys), det=np.full(len(ys), -1, np.float32), src=np.array(src),
             sets=np.array([f"pairs{a.seed}"]))
    print(f"wrote {a.out}: {len(ys) // 2} pairs, scratch contrast median {np.median(con):.3f}")


def dihedral(x, k):
    """x: [B, C, H, W]; k in 0..7: one of the eight flips and turns."""
    if k & 4:
        x = x.transpose(2, 3)
    if k & 1:
        x = x.flip(3)
    if k & 2:
        x = x.flip(2)
    return x


def cmd_train(a):
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(a.seed)
    ds = [np.load(f) for f in a.cands]
    x = np.concatenate([d["x"] for d in ds])
    y = np.concatenate([d["y"] for d in ds]).astype(np.float32)
    det = np.concatenate([d["det"] for d in ds])
    # Hold out a tenth of the candidates, by image, for the progress lines.
    img = np.concatenate([(k * 100 + d["src"][:, 0]) * 1_000_000 + d["src"][:, 1] for k, d in enumerate(ds)])
    val = (img * 2654435761 % 10) == 0
    tr = np.nonzero(~val)[0]
    w = np.where((det[tr] >= 0.1) & (det[tr] < 0.9), a.band_weight, 1.0)
    w = np.where(det[tr] < 0, a.pair_weight, w)  # twins (verifier.py pairs)
    p = w / w.sum()
    net = VerifierNet(w=tuple(int(k) for k in a.width.split(",")), norm=a.norm, stem=a.stem)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    os.makedirs(a.out, exist_ok=True)
    t0, it, m = time.time(), 0, 8
    xv = torch.from_numpy(x[val][:, :, 4:4 + CROP, 4:4 + CROP].astype(np.float32) / 255)
    yv, dv = y[val], det[val]
    while time.time() - t0 < a.minutes * 60 and it < a.iters:
        lr = a.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, max(it / a.iters, (time.time() - t0) / (a.minutes * 60)))))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.choice(tr, a.batch, p=p)
        ox, oy = rng.integers(0, 9, 2)
        xb = torch.from_numpy(x[idx][:, :, oy:oy + CROP, ox:ox + CROP].astype(np.float32) / 255)
        xb = dihedral(xb, int(rng.integers(8)))
        g = torch.from_numpy(rng.uniform(0.85, 1.15, (a.batch, 1, 1, 1)).astype(np.float32))
        xb[:, :3] = (xb[:, :3] * g).clamp(0, 1)
        loss = nn.functional.binary_cross_entropy_with_logits(net(xb)[:, 0], torch.from_numpy(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        it += 1
        if it % 250 == 0:
            net.eval()
            with torch.no_grad():
                pv = torch.sigmoid(torch.cat([net(xv[i:i + 512]) for i in range(0, len(xv), 512)])[:, 0]).numpy()
            net.train()
            b = (dv >= 0.1) & (dv < 0.9)
            acc = ((pv >= 0.5) == (yv > 0))[b].mean()
            print(f"it {it} loss {loss.item():.3f} lr {lr:.2e} band accuracy {acc:.3f} ({b.sum()} held back) "
                  f"{time.time() - t0:.0f}s", flush=True)
    torch.save({"state": net.state_dict(), "iters": it, "args": vars(a)}, os.path.join(a.out, "best.pt"))
    print(f"wrote {a.out}/best.pt after {it} iterations")


def load_verifier(path):
    ck = torch.load(path)
    width = tuple(int(k) for k in ck["args"].get("width", "16,32,48,64").split(","))
    net = VerifierNet(w=width, norm=ck["args"].get("norm", False), stem=ck["args"].get("stem", False))
    net.load_state_dict(ck["state"])
    net.export = True
    return net.eval()


def verify(net, im, boxes, tta=False):
    if len(boxes) == 0:
        return np.zeros(0, np.float32)
    xb = torch.from_numpy(np.stack([crop(im, b) for b in boxes]))
    with torch.no_grad():
        if tta:
            return torch.stack([net(dihedral(xb, k))[:, 0] for k in range(8)]).mean(0).numpy()
        return net(xb)[:, 0].numpy()


def cmd_score(a):
    from train import load_heldout, predict
    from model import load_checkpoint
    from operating_point import best_class_maxima, object_maxima
    torch.set_num_threads(a.threads)
    ims, gts = load_heldout(a.set)
    outs = list(np.load(a.raw)) if a.raw else predict(load_checkpoint(a.ckpt).eval(), ims)
    nets = [load_verifier(v) for v in a.verifier]
    nc = len(synth.NAMES)
    mx = best_class_maxima(outs, nc)
    omax = object_maxima(outs, gts, nc)
    rows, pairs, k0 = [], [], 0
    for i, (im, o) in enumerate(zip(ims, outs)):
        b, s = candidates(o, lo=a.lo)
        v = np.mean([verify(net, im, b, a.tta) for net in nets], 0) if len(b) else np.zeros(0, np.float32)
        g = np.array([bb for _, bb in gts[i]], np.float64).reshape(-1, 4)
        for bb, ss, vv in zip(b, s, v):
            hit = overlap(bb, g) >= 0.3 if len(g) else np.zeros(0, bool)
            for j in np.nonzero(hit)[0]:
                pairs.append((len(rows), k0 + j))
            rows.append((i, ss, vv, bool(hit.any()), *bb))
        k0 += len(g)
    np.savez(a.out, mx=mx, omax=omax, rows=np.array(rows, np.float32).reshape(-1, 8),
             pairs=np.array(pairs, np.int64).reshape(-1, 2), defective=np.array([bool(g) for g in gts]))
    print(f"wrote {a.out}: {len(rows)} candidates on {len(ims)} images, {k0} labelled defects")


def decide(mx, rows, thr, lo, v, hi=None):
    """-> (per image defective, per row counted): the detector's thresholds, or a scratch box >= lo verified >= v.
    With hi (the band's `to`), a scratch box from lo up to hi counts only when verified >= v, whatever the scratch
    threshold, and one from hi up always counts: the second look can veto as well as confirm (the runtime's
    DecisionRules, the metadata's band.to)."""
    if hi is None:
        flag = (mx > thr).any(1)
        hit = (rows[:, 1] >= lo) & (rows[:, 2] >= v)
    else:
        other = np.ones(len(thr), bool)
        other[SCRATCH] = False
        flag = (mx[:, other] > thr[other]).any(1)
        s = rows[:, 1]
        hit = (s >= hi) | ((s >= lo) & (s < hi) & (rows[:, 2] >= v))
    out = flag.copy()
    out[rows[hit, 0].astype(int)] = True
    return out, hit


def objects_found(omax, pairs, hit, thr, veto=False):
    """Which labelled defects the decision finds as if each were alone: any class's box above its threshold (with
    veto, the scratch class's boxes only through `hit`, the rows that count), or a counted row on it."""
    if veto:
        other = np.ones(len(thr), bool)
        other[SCRATCH] = False
        found = (omax[:, other] > thr[other]).any(1)
    else:
        found = (omax > thr).any(1)
    if len(pairs):
        found[pairs[hit[pairs[:, 0]], 1]] = True
    return found


def load_scores(scores, sets):
    """`score` outputs of one or more labelled sets, as one: images, rows, defects and their pairs renumbered in turn;
    file names prefixed by their set when there are several."""
    if len(scores) != len(sets):
        raise SystemExit(f"verifier.py: {len(scores)} --scores files for {len(sets)} --set folders; give one per set")
    parts = {k: [] for k in ("mx", "omax", "rows", "pairs", "defective")}
    files, n_img, n_row, n_obj = [], 0, 0, 0
    for f, folder in zip(scores, sets):
        d = np.load(f)
        rows, pairs = d["rows"].copy(), d["pairs"].copy()
        rows[:, 0] += n_img
        pairs += (n_row, n_obj)
        for k, v in (("mx", d["mx"]), ("omax", d["omax"]), ("rows", rows), ("pairs", pairs), ("defective", d["defective"])):
            parts[k].append(v)
        names = [e["file"] for e in json.load(open(os.path.join(folder, "labels.json")))["images"]]
        files += [f"{os.path.basename(os.path.normpath(folder))}/{x}" if len(sets) > 1 else x for x in names]
        n_img, n_row, n_obj = n_img + len(d["mx"]), n_row + len(rows), n_obj + len(d["omax"])
    return [np.concatenate(parts[k]) for k in ("mx", "omax", "rows", "pairs", "defective")] + [files]


def with_flips(rows, flips, weight):
    """rows (load_scores, images numbered across the sets in turn) with the verified column replaced, for the boxes
    `flips` --out scored, by weight x verified + (1 - weight) x the four views' mean score (the detector's own flips)."""
    four = {(int(r[0]), round(float(r[1]), 5)): float(r[1:5].mean()) for r in flips}
    out, n = rows.copy(), 0
    for j, r in enumerate(rows):
        f = four.get((int(r[0]), round(float(r[1]), 5)))
        if f is not None:
            out[j, 2] = weight * r[2] + (1 - weight) * f
            n += 1
    print(f"flips: {n} of {len(rows)} boxes take the detector's four views too (verifier weight {weight})")
    return out


def cmd_point(a):
    mx, omax, rows, pairs, defective, files = load_scores(a.scores, a.set)
    if a.flips:
        rows = with_flips(rows, np.load(a.flips), a.flip_weight)
    ms = json.load(open(a.min_score)) if os.path.isfile(a.min_score) else json.loads(a.min_score)
    ms = ms.get("min_score", ms)
    thr = np.array([ms[n] for n in synth.NAMES], np.float32)
    img = rows[:, 0].astype(int)
    s_det = rows[:, 1]
    other = np.ones(len(thr), bool)
    other[SCRATCH] = False

    def decided(hi):
        """The images decided without the verifier: a class above its threshold (without `hi`), or another class
        above its threshold or a scratch box from `hi` up (with it)."""
        if hi is None:
            return (mx > thr).any(1)
        alone = (mx[:, other] > thr[other]).any(1)
        alone[img[s_det >= hi]] = True
        return alone

    def open_rows(hi):
        """The rows the verifier decides: boxes under `hi` (the scratch threshold without one) on undecided images."""
        return ~decided(hi)[img] & (s_det < (thr[SCRATCH] if hi is None else hi))

    # Without --to the band only confirms boxes under the scratch threshold; with it, `to` is chosen as well
    # (None: as without it), and boxes from LO up to `to` count only when verified.
    his = [None] + ([round(float(h), 3) for h in np.arange(0.75, 0.951, 0.05)] if a.to else [])
    best = None
    for hi in his:
        top = float(thr[SCRATCH]) if hi is None else hi
        o_rows = open_rows(hi)
        good_rows = ~defective[img] & o_rows
        for lo in np.round(np.arange(0.05, top - 1e-6, 0.05), 3):
            band_good = good_rows & (s_det >= lo)
            for v in np.round(np.arange(0.01, 0.996, 0.01), 3):
                dec, hit = decide(mx, rows, thr, lo, v, hi)
                miss, flag = int((defective & ~dec).sum()), int((~defective & dec).sum())
                lost = int((~objects_found(omax, pairs, hit, thr, hi is not None)).sum())
                mg = float(v - rows[band_good, 2].max()) if band_good.any() else 1.0
                key = (miss + flag, lost, -mg, lo, -1.0 if hi is None else hi)
                if best is None or key < best[0]:
                    best = (key, lo, v, hi)
    _, lo, v, hi = best
    veto = hi is not None
    top = float(thr[SCRATCH]) if hi is None else hi
    o_rows = open_rows(hi)
    # Move V to the middle between the best good box and the weakest box it is needed for, the decisions unchanged.
    dec, hit = decide(mx, rows, thr, lo, v, hi)
    band_good = ~defective[img] & o_rows & (s_det >= lo)
    gmax = float(rows[band_good, 2].max()) if band_good.any() else 0.0
    # What the second look adds: defective images nothing else decides and defects missed judged alone. Each is found
    # by its best verified box in the band; the weakest of those is the lowest V that keeps them all.
    found_alone = objects_found(omax, pairs, (s_det >= top) if veto else np.zeros(len(rows), bool), thr, veto)
    band = (s_det >= lo) & o_rows
    undecided = ~decided(hi)
    need = [rows[band & (img == i), 2].max() for i in np.nonzero(defective & undecided)[0] if (band & (img == i)).any()]
    in_band = (s_det >= lo) & (s_det < top)
    for j in np.nonzero(~found_alone)[0]:
        r = pairs[pairs[:, 1] == j, 0]
        r = r[in_band[r]]
        if len(r):
            need.append(rows[r, 2].max())
    need = [x for x in need if x >= v]  # the ones it finds at the grid's V
    nmin = float(min(need)) if need else 1.0
    v_mid = round((gmax + nmin) / 2, 4) if nmin > gmax else v
    d2, h2 = decide(mx, rows, thr, lo, v_mid, hi)
    if (d2 == dec).all() and (objects_found(omax, pairs, h2, thr, veto) == objects_found(omax, pairs, hit, thr, veto)).all():
        v, dec, hit = v_mid, d2, h2
    miss, flag = int((defective & ~dec).sum()), int((~defective & dec).sum())
    found = objects_found(omax, pairs, hit, thr, veto)
    base, bhit = decide(mx, rows, thr, 2.0, 2.0)
    bfound = objects_found(omax, pairs, bhit, thr)
    print(f"{' + '.join(a.set)}: detector alone {json.dumps(ms)}: missed {int((defective & ~base).sum())}, flagged "
          f"{int((~defective & base).sum())}; defects missed as if alone {int((~bfound).sum())} of {len(bfound)}")
    print(f"with the second look from {lo}" + (f" to {hi}" if veto else "") + f" at {v}: missed {miss}, flagged {flag}; "
          f"defects missed as if alone {int((~found).sum())}; highest good box verified {gmax:.3f}, lowest needed {nmin:.3f}")
    print("  missed:", [f for f, d_, x in zip(files, defective, dec) if d_ and not x])
    print("  flagged:", [f for f, d_, x in zip(files, defective, dec) if not d_ and x])
    print("  newly found defects:", int((found & ~bfound).sum()), "defects lost:", int((bfound & ~found).sum()),
          "rows:", [(files[int(r[0])], round(float(r[1]), 3), round(float(r[2]), 3)) for r in rows[hit & (s_det < top)]][:20])
    if veto:
        vetoed = (s_det >= thr[SCRATCH]) & (s_det < hi) & ~hit
        print("  vetoed boxes (scratch threshold up to `to`, verified under V):",
              [(files[int(r[0])], round(float(r[1]), 3), round(float(r[2]), 3), bool(r[3])) for r in rows[vetoed]][:30])
    srt = np.argsort(-rows[band_good, 2])[:8]
    print("  highest verified boxes on good images:",
          [(files[int(r[0])], round(float(r[1]), 3), round(float(r[2]), 3)) for r in rows[band_good][srt]])
    if a.json:
        out = {"lo": lo, "v": v, "missed": miss, "flagged": flag, "objects_missed": int((~found).sum()),
               "good_max": gmax, "needed_min": nmin}
        if veto:
            out["hi"] = hi
        json.dump(out, open(a.json, "w"))


def _flip_scores(o, boxes, size, fx, fy):
    """For each box (in the unflipped image), the best `scratch` score among the boxes of a flipped view's output `o`
    (mapped back) that overlap it (intersection over the smaller box >= 0.3); 0 where none does."""
    sc = o[4:]
    best, top = sc.argmax(0), sc.max(0)
    cx, cy, w, h = o[0], o[1], o[2], o[3]
    cx = size - cx if fx else cx
    cy = size - cy if fy else cy
    keep = (best == SCRATCH) & (top >= 0.01)
    bb = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)[keep]
    tt = top[keep]
    out = np.zeros(len(boxes), np.float32)
    for j, b in enumerate(boxes):
        near = overlap(b, bb) >= 0.3 if len(bb) else np.zeros(0, bool)
        out[j] = tt[near].max() if near.any() else 0.0
    return out


def cmd_flips(a):
    """The detector's own second look, measured: each scratch box scoring from --lo up to the scratch threshold is
    scored again on the image's three flips, and the four views averaged. Prints, on the sets together, how well the
    detector alone, the four-view mean, the verifier (--scores, from `score`) and the mean of the two separate the boxes
    scoring >= 0.45 on defects from those on good parts (area under the ROC curve), and the fewest errors each reaches
    with a band (from 0.30-0.70, the score's threshold 0.05-0.94) on images the detector's thresholds pass."""
    from train import load_heldout, predict
    from model import load_checkpoint
    from operating_point import best_class_maxima
    torch.set_num_threads(a.threads)
    model = load_checkpoint(a.ckpt).eval()
    ms = json.load(open(a.min_score)) if os.path.isfile(a.min_score) else json.loads(a.min_score)
    ms = ms.get("min_score", ms)
    thr = np.array([ms[n] for n in synth.NAMES], np.float32)
    rows, mx, de, n0 = [], [], [], 0
    for k, folder in enumerate(a.set):
        ims, gts = load_heldout(folder)
        outs = list(np.load(a.raw[k])) if a.raw else predict(model, ims)
        mx.append(best_class_maxima(outs, len(synth.NAMES)))
        de.append(np.array([bool(g) for g in gts]))
        size = ims.shape[1]
        for i, o in enumerate(outs):
            b, s = candidates(o, lo=a.lo)
            sel = s < (thr[SCRATCH] if a.hi is None else a.hi)
            if not sel.any():
                continue
            b, s = b[sel], s[sel]
            views = predict(model, np.stack([np.ascontiguousarray(v) for v in (ims[i][:, ::-1], ims[i][::-1], ims[i][::-1, ::-1])]))
            f = [_flip_scores(v, b, size, fx, fy) for v, (fx, fy) in zip(views, ((1, 0), (0, 1), (1, 1)))]
            g = np.array([bb for _, bb in gts[i]], np.float64).reshape(-1, 4)
            for j in range(len(b)):
                hit = bool(len(g)) and bool((overlap(b[j], g) >= 0.3).any())
                rows.append((n0 + i, s[j], f[0][j], f[1][j], f[2][j], hit))
        n0 += len(outs)
        print(f"{folder}: {len(outs)} images, {len(rows)} boxes so far", flush=True)
    rows, mx, de = np.array(rows, np.float32).reshape(-1, 6), np.concatenate(mx), np.concatenate(de)
    if a.out:
        np.save(a.out, rows)
    img = rows[:, 0].astype(int)
    alone = (mx > thr).any(1)
    ways = {"detector": rows[:, 1], "four views": rows[:, 1:5].mean(1)}
    if a.scores:
        vrows = load_scores(a.scores, a.set)[2]
        vmap = {(int(i), round(float(s), 5)): float(v) for i, s, v in vrows[:, :3]}
        ver = np.array([vmap.get((int(i), round(float(s), 5)), np.nan) for i, s in rows[:, :2]], np.float32)
        ways["verifier"] = ver
        ways["verifier and four views"] = (ver + ways["four views"]) / 2
    print(f"detector alone: missed {int((de & ~alone).sum())}, flagged {int((~de & alone).sum())}")
    band = rows[:, 1] >= 0.45
    for name, t in ways.items():
        pos, neg = t[band & (rows[:, 5] > 0)], t[band & (rows[:, 5] == 0)]
        auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
        best = None
        for lo in np.round(np.arange(0.3, 0.701, 0.05), 3):
            for v in np.round(np.arange(0.05, 0.945, 0.01), 3):
                dec = alone.copy()
                dec[img[(rows[:, 1] >= lo) & (t >= v)]] = True
                miss, flag = int((de & ~dec).sum()), int((~de & dec).sum())
                if best is None or (miss + flag, -v, lo) < best[0]:
                    best = ((miss + flag, -v, lo), lo, v, miss, flag)
        print(f"  {name}: ROC area {auc:.3f} ({len(pos)} boxes on defects, {len(neg)} on good parts); "
              f"best band from {best[1]} at {best[2]}: missed {best[3]}, flagged {best[4]}")
    print(f"  images with a box from 0.45 / 0.6 to the threshold (the flips would run there): "
          f"{len(np.unique(img[rows[:, 1] >= 0.45]))} / {len(np.unique(img[rows[:, 1] >= 0.6]))} of {len(mx)}")


def cmd_look(a):
    """Print, for a labelled set and a fixed band, each image's scratch boxes in the band and their verified scores."""
    d = np.load(a.scores)
    rows = d["rows"]
    files = [e["file"] for e in json.load(open(os.path.join(a.set, "labels.json")))["images"]]
    for name in a.files:
        i = files.index(name)
        r = rows[rows[:, 0] == i]
        print(name, "defective" if d["defective"][i] else "good", [(round(float(x[1]), 3), round(float(x[2]), 3), bool(x[3])) for x in r])


class Dihedral8(nn.Module):
    """The classifier averaged over the crop's eight flips and turns, in one graph: [1, 4, S, S] -> [1, 1]."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.net.export = True

    def forward(self, x):
        rev = torch.arange(x.shape[-1] - 1, -1, -1)
        fx = x.index_select(3, rev)
        a = torch.cat([x, fx, x.index_select(2, rev), fx.index_select(2, rev)], 0)
        b = torch.cat([a, a.transpose(2, 3)], 0)
        return self.net(b).mean(0, keepdim=True)


class MeanOf(nn.Module):
    """Several verifiers' probabilities averaged, in one graph."""

    def __init__(self, nets):
        super().__init__()
        self.nets = nn.ModuleList(nets)

    def forward(self, x):
        return torch.stack([n(x) for n in self.nets], 0).mean(0)


def cmd_export(a):
    import onnx
    from export_onnx import set_metadata
    nets = [load_verifier(v) for v in a.verifier] if a.verifier else [VerifierNet().eval()]
    for n in nets:
        n.export = True
    if a.tta:
        nets = [Dihedral8(n).eval() for n in nets]
    net = nets[0] if len(nets) == 1 else MeanOf(nets).eval()
    x = torch.zeros(1, 4, CROP, CROP)
    torch.onnx.export(net, x, a.out, opset_version=13, input_names=["crop"], output_names=["verified"])
    m = onnx.load(a.out)
    band = json.load(open(a.point)) if a.point else {"lo": 0.5, "v": 0.5}
    set_metadata(m, {
        "description": "Edge defect detector's second look: the probability that a detector box holds a defect, "
                       "from a crop around it - trained on synthetic parts by EdgeModels/training/verifier.py",
        "author": "Edge project", "license": "Apache-2.0", "version": a.version, "task": "verify", "batch": "1",
        "class": synth.NAMES[SCRATCH], "crop": str(CROP), "letterbox_pad": str(PAD), "normalize": "rgb/255",
        "channels": "r,g,b,box", "flips": "8" if a.tta else "1",
        "band": json.dumps({"from": round(float(band["lo"]), 4),
                            **({"to": round(float(band["hi"]), 4)} if band.get("hi") is not None else {}),
                            "min": round(float(band["v"]), 4)}),
    })
    onnx.checker.check_model(m)
    onnx.save(m, a.out)
    print(f"wrote {a.out} ({os.path.getsize(a.out) / 1e6:.2f} MB), band {band}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mine")
    m.add_argument("--ckpt", required=True)
    m.add_argument("--sets", nargs="+", required=True)
    m.add_argument("--cache", default=os.path.join(HERE, "cache"))
    m.add_argument("--out", required=True)
    m.add_argument("--lo", type=float, default=0.05)
    m.add_argument("--limit", type=int, default=0)
    m.add_argument("--threads", type=int, default=1)
    t = sub.add_parser("train")
    t.add_argument("--cands", nargs="+", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--minutes", type=float, default=10)
    t.add_argument("--iters", type=int, default=6000)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--band-weight", type=float, default=4.0)
    t.add_argument("--pair-weight", type=float, default=2.0, help="how often a twin crop (verifier.py pairs) is drawn, "
                   "relative to a mined box outside the band")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--width", default="16,32,48,64", help="channels at each of the four strides")
    t.add_argument("--norm", action="store_true", help="also feed the crop standardised by its own mean and spread")
    t.add_argument("--stem", action="store_true", help="one more layer at the crop's full resolution, before the first "
                   "stride (thin lines are a pixel or two wide)")
    t.add_argument("--threads", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("--ckpt", default="")
    s.add_argument("--raw", default="", help="the detector's saved raw outputs for the set (.npy), instead of --ckpt")
    s.add_argument("--verifier", nargs="+", required=True, help="checkpoint(s); several: their probabilities averaged, "
                   "as `export` with several")
    s.add_argument("--set", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--lo", type=float, default=0.05)
    s.add_argument("--tta", action="store_true", help="average the classifier over the crop's eight flips and turns")
    s.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("point")
    p.add_argument("--scores", nargs="+", required=True, help="score outputs, one per --set")
    p.add_argument("--set", nargs="+", required=True, help="the labelled sets they scored (several: chosen on all together)")
    p.add_argument("--min-score", required=True,
                   help="the detector's per-class thresholds: JSON, or operating_point.py's --json file")
    p.add_argument("--json", default="")
    p.add_argument("--flips", default="", help="`flips --out` of the same sets (same order): the boxes it scored are "
                   "judged by the verifier and the detector's four views together (measured, not in the runtime)")
    p.add_argument("--flip-weight", type=float, default=0.5, help="the verifier's weight in that mean")
    p.add_argument("--to", action="store_true", help="choose the band's upper end too (0.75-0.95 in steps of 0.05, or "
                   "none): scratch boxes from LO up to it count only when verified, so the second look can veto")
    lk = sub.add_parser("look")
    lk.add_argument("--scores", required=True)
    lk.add_argument("--set", required=True)
    lk.add_argument("files", nargs="+")
    pr = sub.add_parser("pairs")
    pr.add_argument("--seed", type=int, required=True, help="a stream no other set uses")
    pr.add_argument("--count", type=int, default=10000)
    pr.add_argument("--out", required=True)
    pr.add_argument("--max-contrast", type=float, default=0.2, help="only scratches this faint or fainter")
    pr.add_argument("--jitter", type=float, default=2.0, help="move the box's sides by up to this many pixels")
    pr.add_argument("--bright", type=float, default=0.6)
    pr.add_argument("--same-tone", type=float, default=0.5)
    pr.add_argument("--along-grain", type=float, default=0.4)
    pr.add_argument("--clutter", type=float, default=0.5)
    pr.add_argument("--hairline", type=float, default=0.3)
    pr.add_argument("--workers", type=int, default=2)
    fl = sub.add_parser("flips")
    fl.add_argument("--ckpt", required=True)
    fl.add_argument("--set", nargs="+", required=True)
    fl.add_argument("--raw", nargs="*", default=[], help="the detector's saved outputs, one per --set (else run it)")
    fl.add_argument("--scores", nargs="*", default=[], help="the verifier's `score` outputs, one per --set")
    fl.add_argument("--min-score", required=True, help="the detector's per-class thresholds (as for `point`)")
    fl.add_argument("--lo", type=float, default=0.3)
    fl.add_argument("--hi", type=float, default=None, help="look at boxes under this score (default: the scratch "
                    "threshold; a band with `to` needs the boxes above the threshold too)")
    fl.add_argument("--out", default="")
    fl.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("export")
    e.add_argument("--verifier", nargs="*", default=[], help="checkpoint(s) (verifier.py train); several: their "
                   "probabilities averaged in one graph; none: an untrained network")
    e.add_argument("--point", default="", help="verifier.py point --json output: the band written to the metadata")
    e.add_argument("--version", default="0.0.0")
    e.add_argument("--tta", action="store_true", help="average over the crop's eight flips and turns inside the graph")
    e.add_argument("--out", required=True)
    a = ap.parse_args()
    {"look": cmd_look, "export": cmd_export, "mine": cmd_mine, "pairs": cmd_pairs, "flips": cmd_flips, "train": cmd_train, "score": cmd_score, "point": cmd_point}[a.cmd](a)


if __name__ == "__main__":
    main()
