"""Synthetic conveyor-belt parts with surface defects.

Every image is a pure function of (seed, index): `render(np.random.default_rng([seed, index]))`.
Classes: 0 scratch, 1 dent, 2 spot, 3 missing_hole. Boxes are [x1, y1, x2, y2] in image pixels
(tight around the visible defect, +1 px).

A part is drawn in its own (u, v) frame (rotated and shifted in the image) from signed distance
fields: disc with a bolt circle, washer, rounded-rectangle plate, L-bracket. Metal parts get a
brushed texture and a specular band, plastic parts a flat colour. The belt has streaks, seams, rails
and dust specks (hard negatives for "spot"). A missing hole is a hole position with only the pilot
mark (centre punch and a faint scribed circle) instead of a through hole.
"""
import io

import numpy as np
from PIL import Image

NAMES = ["scratch", "dent", "spot", "missing_hole"]
SIZE = 320

_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) + 0.5


def _smooth_noise(rng, n, k):
    """1-D noise of length n smoothed by a box of width k."""
    a = rng.standard_normal(n + k).astype(np.float32)
    c = np.convolve(a, np.ones(k, np.float32) / np.sqrt(k), mode="valid")[:n]
    return c


def _lowfreq(rng, cells=6):
    """Smooth 2-D noise in [-1, 1] by bilinear upsampling of a coarse grid."""
    g = rng.standard_normal((cells, cells)).astype(np.float32)
    im = Image.fromarray(g, mode="F").resize((SIZE, SIZE), Image.BICUBIC)
    a = np.asarray(im)
    return a / (np.abs(a).max() + 1e-6)


def _belt(rng):
    base = rng.uniform(0.10, 0.30)
    tint = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(-0.08, 0.08, 3).astype(np.float32)
    streak = _smooth_noise(rng, SIZE, int(rng.integers(2, 8))) * rng.uniform(0.01, 0.035)
    img = base + streak[:, None] + rng.standard_normal((SIZE, SIZE)).astype(np.float32) * rng.uniform(0.01, 0.03)
    img += _lowfreq(rng, 4) * rng.uniform(0.0, 0.04)
    # seams across the belt (the belt runs along x)
    period = rng.uniform(70, 160)
    off = rng.uniform(0, period)
    d = np.abs(((_XX - off) % period) - period / 2) - (period / 2 - 1.2)
    img -= np.clip(d, 0, 1.2) / 1.2 * rng.uniform(0.03, 0.08)
    img = img[..., None] * tint
    # side rails
    for top in (True, False):
        if rng.random() < 0.5:
            h = rng.uniform(6, 24)
            m = (_YY < h) if top else (_YY > SIZE - h)
            rail = rng.uniform(0.35, 0.6) + _smooth_noise(rng, SIZE, 5)[None, :] * 0.02
            img = np.where(m[..., None], (rail + 0 * _YY)[..., None] * np.array([1, 1, 1.03], np.float32), img)
    # dust specks on the belt (hard negatives)
    for _ in range(int(rng.integers(0, 7))):
        x, y, r = rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(0.8, 2.5)
        a = np.clip(r - np.hypot(_XX - x, _YY - y) + 0.5, 0, 1) * rng.uniform(0.2, 0.6)
        img = img * (1 - a[..., None]) + a[..., None] * rng.uniform(0.4, 0.8)
    return img


def _polyline_dist(X, Y, xs, ys):
    """Distance of every pixel (X, Y) to the polyline through (xs, ys)."""
    dist = np.full(X.shape, 1e9, np.float32)
    for ax, ay, bx, by in zip(xs[:-1], ys[:-1], xs[1:], ys[1:]):
        ex_, ey_ = bx - ax, by - ay
        tt = np.clip(((X - ax) * ex_ + (Y - ay) * ey_) / (ex_ * ex_ + ey_ * ey_ + 1e-9), 0, 1)
        dist = np.minimum(dist, np.hypot(X - ax - tt * ex_, Y - ay - tt * ey_))
    return dist


def _fibres(rng, img, cx, cy, reach):
    """Lint on the belt around a part (hard negatives for "scratch"): 1-4 thin, wavy fibres 12-60 px long that start
    near the part's outline, lighter or darker than the belt. Drawn before the part is laid on, so it covers them."""
    for _ in range(int(rng.integers(1, 5))):
        ang0 = rng.uniform(0, 2 * np.pi)
        r0 = reach * rng.uniform(0.8, 1.3)
        x, y = cx + r0 * np.cos(ang0), cy + r0 * np.sin(ang0)
        L = rng.uniform(12, 60)
        heading = rng.uniform(0, 2 * np.pi)
        steps = 8
        turn = rng.normal(0, 0.35, steps).cumsum()
        xs = x + np.concatenate([[0], np.cumsum(np.cos(heading + turn[:-1]) * L / (steps - 1))])
        ys = y + np.concatenate([[0], np.cumsum(np.sin(heading + turn[:-1]) * L / (steps - 1))])
        x0, x1 = int(max(0, xs.min() - 3)), int(min(SIZE, xs.max() + 4))
        y0, y1 = int(max(0, ys.min() - 3)), int(min(SIZE, ys.max() + 4))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        dist = _polyline_dist(_XX[y0:y1, x0:x1], _YY[y0:y1, x0:x1], xs, ys)
        a = np.clip(rng.uniform(0.5, 1.1) - dist + 0.5, 0, 1) * rng.uniform(0.3, 0.7)
        col = rng.uniform(0.55, 0.9) if rng.random() < 0.7 else rng.uniform(0.0, 0.08)
        img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - a[..., None]) + a[..., None] * col
    return img


def _hairlines(rng, surf, u, v, extent):
    """Brushing lines that stand out over part of their length (hard negatives for "scratch", the good-part
    false positives of 1.6.0): 1-3 soft lines along the grain (u, see _surface), a Gaussian 0.5-1.2 px across,
    30-160 px long with tapered ends, 0.04-0.12 brighter than the metal around them (one in four darker). A
    scratch differs in its crisp edges (render draws it 0.7-1.8 px wide with a hard rim) and, mostly, its angle."""
    ex, ey = extent
    for _ in range(int(rng.integers(1, 4))):
        u0, v0 = rng.uniform(-0.8, 0.8) * ex, rng.uniform(-0.9, 0.9) * ey
        half = rng.uniform(15, 80)
        sig = rng.uniform(0.5, 1.2)
        amp = rng.uniform(0.04, 0.12) * (1.0 if rng.random() < 0.75 else -1.0)
        tilt = rng.uniform(-0.02, 0.02)
        prof = np.exp(-0.5 * ((v - v0 - tilt * (u - u0)) / sig) ** 2)
        env = np.sqrt(np.clip(1 - np.abs(u - u0) / half, 0, 1))
        surf = surf + (prof * env * amp).astype(np.float32)[..., None]
    return surf


def _sd_box(u, v, a, b, r):
    qx = np.abs(u) - (a - r)
    qy = np.abs(v) - (b - r)
    return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) - r


class Part:
    """Shape description in the part frame: sdf(u, v) and hole list [(u, v, r)]."""

    def __init__(self, rng):
        self.kind = rng.choice(["disc", "washer", "plate", "bracket"], p=[0.28, 0.17, 0.33, 0.22])
        self.holes = []
        self.fixed_holes = []  # holes that are never "missing" (washer bore, disc bore)
        k = self.kind
        if k == "disc":
            R = rng.uniform(70, 112)
            self.R = R
            if rng.random() < 0.7:
                self.fixed_holes.append((0.0, 0.0, R * rng.uniform(0.14, 0.28)))
            n = int(rng.integers(3, 9))
            rb, rh, a0 = R * rng.uniform(0.6, 0.75), rng.uniform(4.5, 9), rng.uniform(0, 2 * np.pi)
            for i in range(n):
                t = a0 + 2 * np.pi * i / n
                self.holes.append((rb * np.cos(t), rb * np.sin(t), rh))
            self.extent = (R, R)
        elif k == "washer":
            R = rng.uniform(60, 105)
            self.R = R
            self.fixed_holes.append((0.0, 0.0, R * rng.uniform(0.35, 0.55)))
            self.extent = (R, R)
        elif k == "plate":
            a, b = rng.uniform(70, 118), rng.uniform(42, 85)
            self.a, self.b, self.rc = a, b, rng.uniform(5, min(28, b * 0.5))
            rh = rng.uniform(4.5, 9)
            layout = rng.integers(0, 3)
            inset = rh + rng.uniform(8, 16)
            if layout == 0:
                for sx in (-1, 1):
                    for sy in (-1, 1):
                        self.holes.append((sx * (a - inset), sy * (b - inset), rh))
            elif layout == 1:
                n = int(rng.integers(2, 6))
                for i in range(n):
                    self.holes.append((-a + inset + i * (2 * a - 2 * inset) / max(n - 1, 1), 0.0, rh))
            else:
                for sx in (-1, 0, 1):
                    for sy in (-1, 1):
                        self.holes.append((sx * (a - inset), sy * (b - inset) * 0.6, rh))
            self.extent = (a, b)
        else:  # bracket: L of two arms sharing a corner
            L1, L2, t = rng.uniform(120, 200), rng.uniform(100, 180), rng.uniform(34, 56)
            r = rng.uniform(4, 12)
            # arm 1 horizontal from x=-L1/2..L1/2 at y=-L2/2+t/2 ; arm 2 vertical at x=-L1/2+t/2
            self.arms = [(0.0, -L2 / 2 + t / 2, L1 / 2, t / 2, r), (-L1 / 2 + t / 2, 0.0, t / 2, L2 / 2, r)]
            rh = rng.uniform(4.5, min(9, t * 0.22))
            for i in range(int(rng.integers(2, 4))):
                self.holes.append((-L1 / 2 + t + (i + 0.7) * (L1 - t) / 3.2, -L2 / 2 + t / 2, rh))
            for i in range(int(rng.integers(1, 3))):
                self.holes.append((-L1 / 2 + t / 2, -L2 / 2 + t + (i + 0.7) * (L2 - t) / 2.6, rh))
            self.extent = (L1 / 2, L2 / 2)

    def sdf(self, u, v):
        k = self.kind
        if k in ("disc", "washer"):
            return np.hypot(u, v) - self.R
        if k == "plate":
            return _sd_box(u, v, self.a, self.b, self.rc)
        d = None
        for cx, cy, a, b, r in self.arms:
            di = _sd_box(u - cx, v - cy, a, b, r)
            d = di if d is None else np.minimum(d, di)
        return d


def _surface(rng, part, u, v, metal):
    if metal:
        kind = rng.choice(["steel", "alu", "brass", "dark"], p=[0.4, 0.3, 0.15, 0.15])
        base = {"steel": (0.62, 0.64, 0.67), "alu": (0.75, 0.76, 0.78),
                "brass": (0.72, 0.6, 0.33), "dark": (0.36, 0.37, 0.39)}[kind]
        base = np.array(base, np.float32) * rng.uniform(0.85, 1.1)
        # brushed: noise constant along u
        lines = _smooth_noise(rng, 800, int(rng.integers(1, 4))) * rng.uniform(0.015, 0.045)
        idx = np.clip((v + 400).astype(np.int32), 0, 799)
        tex = lines[idx]
        phi = rng.uniform(0, np.pi)
        band = np.exp(-((u * np.cos(phi) + v * np.sin(phi) - rng.uniform(-80, 80)) / rng.uniform(25, 70)) ** 2)
        tex = tex + band * rng.uniform(0.05, 0.22)
    else:
        pal = [(0.12, 0.3, 0.7), (0.75, 0.15, 0.12), (0.15, 0.55, 0.25), (0.85, 0.72, 0.12),
               (0.1, 0.1, 0.11), (0.88, 0.88, 0.86), (0.9, 0.45, 0.1), (0.5, 0.5, 0.52)]
        base = np.array(pal[int(rng.integers(len(pal)))], np.float32)
        base = np.clip(base + rng.uniform(-0.06, 0.06, 3), 0.03, 0.95).astype(np.float32)
        r2 = (u - rng.uniform(-60, 60)) ** 2 + (v - rng.uniform(-60, 60)) ** 2
        tex = np.exp(-r2 / rng.uniform(2000, 8000)) * rng.uniform(0.02, 0.1)
    tex = tex + _lowfreq(rng, 5) * rng.uniform(0.0, 0.03)
    tex = tex + rng.standard_normal(u.shape).astype(np.float32) * rng.uniform(0.005, 0.02)
    return base[None, None, :] + tex[..., None]


def _sample_on_part(rng, part, hole_list, margin, taken, min_dist=16, tries=60):
    ex, ey = part.extent
    for _ in range(tries):
        u, v = rng.uniform(-ex, ex), rng.uniform(-ey, ey)
        if part.sdf(np.float32(u), np.float32(v)) > -margin:
            continue
        if any(np.hypot(u - hu, v - hv) < hr + margin for hu, hv, hr in hole_list):
            continue
        if any(np.hypot(u - tu, v - tv) < min_dist for tu, tv in taken):
            continue
        return u, v
    return None


def _bbox(mask, thr=0.3, pad=1.0):
    ys, xs = np.nonzero(mask > thr)
    if len(xs) < 5:
        return None
    return [max(0.0, xs.min() - pad), max(0.0, ys.min() - pad),
            min(SIZE, xs.max() + 1 + pad), min(SIZE, ys.max() + 1 + pad)]


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _contrast(before, after, mask, alpha, belt, light):
    """How much a defect changes the final image: the 90th percentile of |luminance change| (0..1) over
    the pixels the defect covers (mask > 0.5), after compositing, lighting and clipping to 0..1, before
    sensor noise. `before`/`after` are the part surface without/with the defect."""
    sel = mask > 0.5
    if not sel.any():
        return 0.0
    a, bl, li = alpha[sel][:, None], belt[sel], light[sel]
    img0 = np.clip((bl * (1 - a) + before[sel] * a) * li, 0, 1)
    img1 = np.clip((bl * (1 - a) + after[sel] * a) * li, 0, 1)
    return float(np.percentile(np.abs((img1 - img0) @ _LUMA), 90))


# Share of scratches drawn in the tone of the surface under them (bright on bright metal, dark on dark), the
# hardest kind to see; the rest contrast with it. The held-out and validation sets use this default; a training
# set may draw more of them (gen_cache.py --same-tone).
SAME_TONE_SCRATCH_P = 0.15

# Share of scratches drawn within 0.3 rad of the part's brushing direction (along the grain of brushed metal, the
# other hard kind to see); 0, the default every validation and held-out set uses, draws the angle uniformly.
ALONG_GRAIN_SCRATCH_P = 0.0


def render(rng, jpeg_quality=None, info=None, same_tone=SAME_TONE_SCRATCH_P, along_grain=ALONG_GRAIN_SCRATCH_P, bright_metal=0.0,
           clutter=0.0, hairline=0.0, classes=None, clean=False):
    """Returns (uint8 HxWx3 RGB, list of (class, [x1, y1, x2, y2])). With a dict `info`, also sets
    info["contrast"]: each box's visible contrast (see `_contrast`), in box order, info["grain"]: per box, a
    scratch's angle to the brushing of the metal under it (0 to pi/2 rad; None for other classes and on plastic),
    and info["alpha"]: the part's coverage mask (float HxW). `same_tone`, `along_grain`: see SAME_TONE_SCRATCH_P, ALONG_GRAIN_SCRATCH_P.
    `bright_metal`: share of metal parts exposed so that their surface is near white (median luminance 0.85-0.97), where
    bright scratches are faintest; 0 (the default, which the held-out and validation sets use) draws nothing for it,
    so the images are exactly those without the option. `clutter`: share of images with scratch-like things that are
    not defects: lint fibres on the belt near the part (`_fibres`) and a second, crisp shadow along the part's edge;
    0 (the default) draws nothing for it either. `hairline`: share of metal parts with brushing lines that stand out
    over part of their length (`_hairlines`), not defects; 0 (the default) draws nothing for it.
    `classes`: the defects to draw (class indices) instead of the drawn ones, after the same random draws (so the
    part, its surface and lighting are those of the default draw); `clean`: draw every defect's random numbers but
    leave the surface as it was, so the same rng gives the same part without its defects (the "twin" of a defective
    image, for verifier.py pairs). Both off by default: the images are exactly those without them."""
    changes = []  # per box: (surface before, surface after, mask), for the contrast
    grain = []  # per box: a scratch's angle to the brushing (None where there is none)
    img = _belt(rng)
    part = Part(rng)
    metal = rng.random() < 0.6
    theta = rng.uniform(-np.pi, np.pi) if part.kind in ("disc", "washer") else rng.uniform(-0.35, 0.35) + (np.pi / 2 if rng.random() < 0.3 else 0.0)
    c, s = np.cos(theta), np.sin(theta)
    ex, ey = part.extent
    # keep the part mostly inside the frame
    rx = abs(c) * ex + abs(s) * ey
    ry = abs(s) * ex + abs(c) * ey
    cx = SIZE / 2 + rng.uniform(-1, 1) * max(0.0, min(30.0, SIZE / 2 - rx + 10))
    cy = SIZE / 2 + rng.uniform(-1, 1) * max(0.0, min(30.0, SIZE / 2 - ry + 10))
    dx, dy = _XX - cx, _YY - cy
    u = c * dx + s * dy
    v = -s * dx + c * dy

    def to_img(pu, pv):
        return cx + c * pu - s * pv, cy + s * pu + c * pv

    # which holes are missing
    n_def = 0 if rng.random() < 0.35 else int(rng.choice([1, 2, 3, 4], p=[0.45, 0.3, 0.15, 0.1]))
    drawn = list(rng.choice(4, size=n_def))
    classes = drawn if classes is None else list(classes)
    n_missing = min(sum(1 for k in classes if k == 3), len(part.holes) // 2)
    classes = [k for k in classes if k != 3] + [3] * n_missing
    missing = set(rng.choice(len(part.holes), size=n_missing, replace=False).tolist()) if n_missing else set()

    sd = part.sdf(u, v)
    through = [h for i, h in enumerate(part.holes) if i not in missing] + part.fixed_holes
    sd_full = sd.copy()
    for hu, hv, hr in through:
        sd_full = np.maximum(sd_full, hr - np.hypot(u - hu, v - hv))
    alpha = np.clip(0.5 - sd_full, 0, 1)

    # soft shadow on the belt
    sh_dx, sh_dy = rng.uniform(2, 9), rng.uniform(2, 9)
    sd_sh = part.sdf(u - (c * sh_dx + s * sh_dy), v - (-s * sh_dx + c * sh_dy))
    sh = np.clip(0.5 - sd_sh / rng.uniform(3, 8), 0, 1) * rng.uniform(0.3, 0.55)
    img = img * (1 - sh[..., None])
    if clutter > 0 and rng.random() < clutter:
        # a crisp shadow hugging the outline (hard light), then lint around the part
        o = rng.uniform(1, 4)
        sd_h = part.sdf(u - (c * o + s * o), v - (-s * o + c * o))
        img = img * (1 - (np.clip(0.5 - sd_h / rng.uniform(0.6, 1.5), 0, 1) * rng.uniform(0.25, 0.55))[..., None])
        img = _fibres(rng, img, cx, cy, max(rx, ry))

    surf = _surface(rng, part, u, v, metal)
    if hairline > 0 and metal and rng.random() < hairline:
        surf = _hairlines(rng, surf, u, v, part.extent)
    # bevel at the outline and at hole rims
    bevel = np.clip(1 + sd_full / 3.0, 0, 1)
    surf = surf * (1 - bevel[..., None] * rng.uniform(0.1, 0.3))

    boxes = []
    taken = []
    # missing holes: pilot mark instead of a through hole
    for i in sorted(missing):
        hu, hv, hr = part.holes[i]
        d = np.hypot(u - hu, v - hv)
        ring = np.clip(1.0 - np.abs(d - hr) / 0.9, 0, 1) * rng.uniform(0.25, 0.45)
        dot = np.clip(rng.uniform(1.6, 2.6) - d + 0.5, 0, 1) * rng.uniform(0.4, 0.6)
        fill = (d < hr).astype(np.float32) * rng.uniform(0.0, 0.08)
        dark = np.maximum(np.maximum(ring, dot), fill)
        before = surf
        surf = surf if clean else surf * (1 - dark[..., None])
        changes.append((before, surf, np.maximum(ring, dot) * 2.5))
        grain.append(None)
        x, y = to_img(hu, hv)
        boxes.append((3, [max(0.0, x - hr - 1.5), max(0.0, y - hr - 1.5), min(SIZE, x + hr + 1.5), min(SIZE, y + hr + 1.5)]))
        taken.append((hu, hv))

    all_holes = part.holes + part.fixed_holes
    for k in classes:
        if k == 3:
            continue
        before = surf
        g = None
        if k == 0:  # scratch
            p = _sample_on_part(rng, part, all_holes, 6, taken, 18)
            if p is None:
                continue
            L = rng.uniform(18, 70)
            # One draw either way, so along_grain=0 gives exactly the old angle (pi * U).
            u_a = rng.uniform(0, 1)
            if u_a < along_grain:  # within 0.3 rad of the brushing (which runs along u)
                ang = (u_a / along_grain - 0.5) * 0.6
            else:
                ang = np.pi * (u_a - along_grain) / (1 - along_grain)
            du, dv = np.cos(ang), np.sin(ang)
            if metal:  # brushing runs along u (see _surface)
                g = float(min(ang % np.pi, np.pi - ang % np.pi))
            bend = rng.uniform(-0.18, 0.18) * L
            t = np.linspace(-0.5, 0.5, 14)
            pu = p[0] + du * L * t - dv * bend * (1 - 4 * t ** 2)
            pv = p[1] + dv * L * t + du * bend * (1 - 4 * t ** 2)
            pts = [to_img(a, b) for a, b in zip(pu, pv)]
            xs, ys = [q[0] for q in pts], [q[1] for q in pts]
            x0, x1 = int(max(0, min(xs) - 4)), int(min(SIZE, max(xs) + 5))
            y0, y1 = int(max(0, min(ys) - 4)), int(min(SIZE, max(ys) + 5))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            dist = _polyline_dist(_XX[y0:y1, x0:x1], _YY[y0:y1, x0:x1], xs, ys)
            w = rng.uniform(0.7, 1.8)
            a = np.clip(w - dist + 0.5, 0, 1) * alpha[y0:y1, x0:x1]
            m = np.zeros((SIZE, SIZE), np.float32)
            m[y0:y1, x0:x1] = a
            # mostly contrasting with the surface under the scratch: bright on dark, dark on bright
            u_b = rng.random()
            py, px = int(np.clip(to_img(*p)[1], 0, SIZE - 1)), int(np.clip(to_img(*p)[0], 0, SIZE - 1))
            lum = float(surf[py, px].mean())
            bright = (lum < 0.55) if u_b < 1 - same_tone else (lum >= 0.55)
            col = rng.uniform(0.85, 1.0) if bright else rng.uniform(0.02, 0.15)
            strength = rng.uniform(0.6, 0.9)
            if not clean:
                surf = surf * (1 - m[..., None] * strength) + m[..., None] * strength * col
            b = _bbox(m, 0.3, 1.0)
        elif k == 1:  # dent
            p = _sample_on_part(rng, part, all_holes, 14, taken, 24)
            if p is None:
                continue
            a_ = rng.uniform(6, 15)
            b_ = a_ * rng.uniform(0.7, 1.0)
            ang = rng.uniform(0, np.pi)
            x, y = to_img(*p)
            ddx, ddy = _XX - x, _YY - y
            q1 = (np.cos(ang) * ddx + np.sin(ang) * ddy) / a_
            q2 = (-np.sin(ang) * ddx + np.cos(ang) * ddy) / b_
            r = np.sqrt(q1 * q1 + q2 * q2)
            la = rng.uniform(0, 2 * np.pi)
            k_ = rng.uniform(0.3, 0.55)
            inside = np.clip(1 - r * r, 0, 1)
            shade = -(np.cos(la) * ddx + np.sin(la) * ddy) / a_ * inside * k_
            rim = np.exp(-((r - 1.0) / 0.15) ** 2) * rng.uniform(0.12, 0.25)
            shade = (shade - rim - inside * 0.12) * alpha
            if not clean:
                surf = surf * (1 + shade[..., None])
            m = (r <= 1.08).astype(np.float32) * alpha
            b = _bbox(m, 0.5, 0.5)
        else:  # spot
            p = _sample_on_part(rng, part, all_holes, 6, taken, 16)
            if p is None:
                continue
            x, y = to_img(*p)
            # an irregular stain with soft edges (never a crisp dark disc, which would look like a hole)
            rad = rng.uniform(3, 8)
            field = np.zeros((SIZE, SIZE), np.float32)
            x0, x1 = int(max(0, x - 3 * rad - 4)), int(min(SIZE, x + 3 * rad + 5))
            y0, y1 = int(max(0, y - 3 * rad - 4)), int(min(SIZE, y + 3 * rad + 5))
            X, Y = _XX[y0:y1, x0:x1], _YY[y0:y1, x0:x1]
            f = np.zeros(X.shape, np.float32)
            for _ in range(int(rng.integers(3, 7))):
                ox, oy = rng.normal(0, rad * 0.6, 2)
                rr = rad * rng.uniform(0.35, 0.8)
                f += np.exp(-((X - x - ox) ** 2 + (Y - y - oy) ** 2) / (2 * rr * rr))
            f *= 1 + 0.35 * rng.standard_normal(f.shape).astype(np.float32)
            field[y0:y1, x0:x1] = np.clip((f - 0.3) * 2.5, 0, 1)
            m = field * alpha
            lum = float(surf[int(np.clip(y, 0, SIZE - 1)), int(np.clip(x, 0, SIZE - 1))].mean())
            kinds = ["rust", "oil"] if lum > 0.55 else (["rust", "residue"] if lum < 0.3 else ["rust", "oil", "residue"])
            kind = kinds[int(rng.integers(len(kinds)))]
            col = {"rust": np.array([0.58, 0.27, 0.08]), "oil": np.array([0.16, 0.12, 0.07]),
                   "residue": np.array([0.93, 0.92, 0.86])}[kind]
            col = (col * rng.uniform(0.85, 1.15)).astype(np.float32)
            st = rng.uniform(0.55, 0.8) if kind == "oil" else rng.uniform(0.7, 0.92)
            if not clean:
                surf = surf * (1 - m[..., None] * st) + m[..., None] * st * col
            b = _bbox(m, 0.3, 1.0)
        if b is None:
            continue
        boxes.append((int(k), b))
        grain.append(g)
        changes.append((before, surf, m))
        taken.append(p)

    belt = img
    img = img * (1 - alpha[..., None]) + surf * alpha[..., None]
    # lighting: gradient, vignette, exposure, colour temperature, noise
    ga = rng.uniform(0, 2 * np.pi)
    grad = 1 + rng.uniform(0, 0.35) * ((_XX - SIZE / 2) * np.cos(ga) + (_YY - SIZE / 2) * np.sin(ga)) / (SIZE / 2)
    vig = 1 - rng.uniform(0, 0.25) * (((_XX - SIZE / 2) ** 2 + (_YY - SIZE / 2) ** 2) / (SIZE * SIZE / 2))
    temp = np.array([1 + rng.uniform(-0.06, 0.06), 1.0, 1 + rng.uniform(-0.06, 0.06)], np.float32)
    exposure = rng.uniform(0.8, 1.2)
    if bright_metal > 0 and metal and rng.random() < bright_metal:
        lit = (img * ((grad * vig)[..., None] * temp)).mean(2)[alpha > 0.5]
        if lit.size:
            exposure = float(np.clip(rng.uniform(0.85, 0.97) / max(float(np.median(lit)), 0.05), 0.8, 2.0))
    light = (grad * vig)[..., None] * temp * exposure
    img = img * light
    contrasts = [_contrast(b0, b1, m, alpha, belt, light) for b0, b1, m in changes]
    img += rng.standard_normal(img.shape).astype(np.float32) * rng.uniform(0.004, 0.02)
    if rng.random() < 0.25:  # motion blur along the belt
        img = (img + np.roll(img, 1, axis=1) + np.roll(img, -1, axis=1)) / 3
    out = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    if jpeg_quality:
        buf = io.BytesIO()
        Image.fromarray(out).save(buf, format="JPEG", quality=int(jpeg_quality))
        out = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    if info is not None:
        info["contrast"] = [round(c, 3) for c in contrasts]
        info["grain"] = [None if g is None else round(g, 3) for g in grain]
        info["alpha"] = alpha  # the part's coverage (0..1; 0 in through holes), for compositing onto another belt
    return out, [(k, [float(round(z, 1)) for z in b]) for k, b in boxes]


# A defect must change the final image by at least this much (luminance 0..1, ~15 grey levels, three
# times the strongest sensor noise) to be in the set: an inspection station's lighting is set up so that
# the defects it must find show; one the camera cannot see is a lighting problem, not a model problem.
MIN_CONTRAST = 0.06


def sample(seed, index, jpeg=True, info=None, same_tone=SAME_TONE_SCRATCH_P, along_grain=ALONG_GRAIN_SCRATCH_P, bright_metal=0.0,
           clutter=0.0, hairline=0.0):
    """Image `index` of the set `seed`. A draw with a defect fainter than MIN_CONTRAST is drawn again
    from the stream (seed, index, attempt), so the result still depends on (seed, index) only."""
    for attempt in range(50):
        rng = np.random.default_rng([seed, index] if attempt == 0 else [seed, index, attempt])
        q = int(rng.integers(75, 96)) if jpeg else None
        details = {}
        out, boxes = render(rng, q, details, same_tone, along_grain, bright_metal, clutter, hairline)
        if all(c >= MIN_CONTRAST for c in details["contrast"]):
            break
    else:
        raise RuntimeError(f"no draw of image ({seed}, {index}) has all its defects visible after 50 attempts")
    if info is not None:
        info.update(details, attempts=attempt + 1)
    return out, boxes


if __name__ == "__main__":
    import sys
    import time
    from PIL import ImageDraw
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    out = sys.argv[3] if len(sys.argv) > 3 else "/tmp/synth_preview.png"
    t0 = time.time()
    tiles = []
    counts = [0] * 4
    for i in range(n):
        im, bx = sample(seed, i)
        pil = Image.fromarray(im)
        d = ImageDraw.Draw(pil)
        for k, b in bx:
            counts[k] += 1
            d.rectangle(b, outline=[(255, 0, 0), (0, 255, 0), (0, 128, 255), (255, 0, 255)][k])
        tiles.append(pil)
    dt = time.time() - t0
    cols = 4
    rows = (n + cols - 1) // cols
    sheet = Image.new("RGB", (cols * SIZE, rows * SIZE))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * SIZE, (i // cols) * SIZE))
    sheet.save(out)
    print(f"{n} images in {dt:.2f}s ({dt / n * 1000:.1f} ms each); boxes per class {dict(zip(NAMES, counts))}")
