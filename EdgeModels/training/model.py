"""A small anchor-free YOLOv8-style detector (C2f backbone + PAN neck, decoupled heads, strides 8/16).

Box head predicts (l, t, r, b) distances as exp(raw) * stride from each cell centre; class head
predicts logits. `export=True` bakes the decode into the graph and returns Ultralytics YOLOv8's
layout: [B, 4 + C, N] with (cx, cy, w, h) in input pixels followed by per-class sigmoid scores.
"""
import math

import torch
import torch.nn as nn

STRIDES = (8, 16)


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.cv1 = Conv(c, c, 3)
        self.cv2 = Conv(c, c, 3)

    def forward(self, x):
        return x + self.cv2(self.cv1(x))


class C2f(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = Conv(c1, 2 * self.c, 1)
        self.m = nn.ModuleList(Bottleneck(self.c) for _ in range(n))
        self.cv2 = Conv((2 + n) * self.c, c2, 1)

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1)
        self.cv2 = Conv(c_ * 4, c2, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))


class Head(nn.Module):
    def __init__(self, c, nc, hc=48):
        super().__init__()
        self.box = nn.Sequential(Conv(c, hc, 3), Conv(hc, hc, 3), nn.Conv2d(hc, 4, 1))
        self.cls = nn.Sequential(Conv(c, hc, 3), Conv(hc, hc, 3), nn.Conv2d(hc, nc, 1))

    def forward(self, x):
        return self.box(x), self.cls(x)


DEFAULT_WIDTHS = (12, 24, 40, 80, 128)
DEFAULT_HEAD = 32


class Detector(nn.Module):
    """`p2`: channels of an optional stride-4 head (0: none) on the stride-4 backbone features joined with the
    upsampled stride-8 neck output, for thin lines a stride-8 cell blurs; its outputs come first (strides 4, 8, 16).
    `pre`: channels of an optional residual pre-filter at the input's full resolution (0: none), see add_pre."""

    def __init__(self, nc=4, w=DEFAULT_WIDTHS, hc=DEFAULT_HEAD, p2=0, pre=0):
        super().__init__()
        self.nc = nc
        self.strides = STRIDES
        self.p2 = 0
        self.stem = Conv(3, w[0], 3, 2)                                      # /2
        self.s2 = nn.Sequential(Conv(w[0], w[1], 3, 2), C2f(w[1], w[1]))     # /4
        self.s3 = nn.Sequential(Conv(w[1], w[2], 3, 2), C2f(w[2], w[2], 2))  # /8
        self.s4 = nn.Sequential(Conv(w[2], w[3], 3, 2), C2f(w[3], w[3], 2))  # /16
        self.s5 = nn.Sequential(Conv(w[3], w[4], 3, 2), C2f(w[4], w[4]), SPPF(w[4], w[4]))  # /32
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.n4 = C2f(w[4] + w[3], w[3])
        self.n3 = C2f(w[3] + w[2], w[2])
        self.down3 = Conv(w[2], w[2], 3, 2)
        self.o4 = C2f(w[2] + w[3], w[3])
        self.heads = nn.ModuleList([Head(w[2], nc, hc), Head(w[3], nc, hc)])
        self.export = False
        for h in self.heads:
            _init_bias(h)
        self.pre = 0
        if p2:
            self.add_p2(p2)
        if pre:
            self.add_pre(pre)

    def add_pre(self, c):
        """Adds a residual pre-filter at the input's full resolution, before the first stride: x + conv(Conv-BN-SiLU(x)),
        two 3x3 layers (3 -> c -> 3 channels), so a line a pixel wide is worked on before any stride can step over it.
        The second layer starts at zero, so a trained model with it added computes exactly what it did (a fine-tune
        starts from the trained model); c = 12 costs about 66 M multiply-accumulates per 320x320 image (9 %)."""
        self.pre1 = Conv(3, c, 3, 1)
        self.pre2 = nn.Conv2d(c, 3, 3, 1, 1, bias=True)
        nn.init.zeros_(self.pre2.weight)
        nn.init.zeros_(self.pre2.bias)
        self.pre = c
        return self

    def add_p2(self, hc):
        """Adds the stride-4 branch (new weights; the rest is kept, so a trained model can be fine-tuned with it)."""
        w1, w2 = self.s2[0].conv.out_channels, self.s3[0].conv.out_channels
        self.n2 = C2f(w2 + w1, w1)
        self.head2 = Head(w1, self.nc, hc)
        _init_bias(self.head2)
        self.p2 = hc
        self.strides = (4,) + STRIDES
        return self

    def features(self, x):
        if self.pre:  # channels-last in training: torch's CPU convolutions of 3 and 12 channels at full size run 2-3x faster
            y = x.contiguous(memory_format=torch.channels_last) if self.training else x
            x = x + self.pre2(self.pre1(y)).contiguous()
        x = self.s2(self.stem(x))
        p3 = self.s3(x)
        p4 = self.s4(p3)
        p5 = self.s5(p4)
        n4 = self.n4(torch.cat([self.up(p5), p4], 1))
        o3 = self.n3(torch.cat([self.up(n4), p3], 1))
        o4 = self.o4(torch.cat([self.down3(o3), n4], 1))
        if self.p2:
            return [self.n2(torch.cat([self.up(o3), x], 1)), o3, o4]
        return [o3, o4]

    def forward(self, x):
        feats = self.features(x)
        box, cls, shapes = [], [], []
        for f, h in zip(feats, ([self.head2] if self.p2 else []) + list(self.heads)):
            b, c = h(f)
            shapes.append(f.shape[2:])
            box.append(b.flatten(2))
            cls.append(c.flatten(2))
        box = torch.cat(box, 2)  # [B, 4, N] raw
        cls = torch.cat(cls, 2)  # [B, C, N] logits
        if not self.export:
            return box, cls, shapes
        anchors, strides = make_anchors(shapes, self.strides, x.device)
        ltrb = box.exp() * strides
        xy = anchors  # [2, N]
        lt, rb = ltrb[:, :2], ltrb[:, 2:]
        x1y1 = xy - lt
        x2y2 = xy + rb
        cxcy = (x1y1 + x2y2) / 2
        wh = x2y2 - x1y1
        return torch.cat([cxcy, wh, cls.sigmoid()], 1)


def _init_bias(h):
    h.cls[-1].bias.data.fill_(-math.log((1 - 0.01) / 0.01))
    h.box[-1].bias.data.fill_(math.log(2.0))  # start at 2 strides per side


def make_anchors(shapes, strides, device=None):
    pts, sts = [], []
    for (h, w), s in zip(shapes, strides):
        h, w = int(h), int(w)
        sy, sx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
        pts.append(torch.stack([(sx.flatten() + 0.5) * s, (sy.flatten() + 0.5) * s], 0))
        sts.append(torch.full((1, h * w), float(s)))
    return torch.cat(pts, 1).to(device), torch.cat(sts, 1).to(device)


def decode(box_raw, shapes, strides=STRIDES):
    """raw [B, 4, N] -> xyxy [B, N, 4] in input pixels."""
    anchors, st = make_anchors(shapes, strides, box_raw.device)
    ltrb = box_raw.clamp(max=8.0).exp() * st
    x1y1 = anchors - ltrb[:, :2]
    x2y2 = anchors + ltrb[:, 2:]
    return torch.cat([x1y1, x2y2], 1).transpose(1, 2)


def fuse_conv_bn(model):
    """Fold every Conv's BatchNorm into its conv (eval/export)."""
    for m in model.modules():
        if isinstance(m, Conv) and isinstance(m.bn, nn.BatchNorm2d):
            c, bn = m.conv, m.bn
            w = c.weight
            std = (bn.running_var + bn.eps).sqrt()
            fused = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, c.stride, c.padding, bias=True)
            fused.weight.data = w * (bn.weight / std).reshape(-1, 1, 1, 1)
            fused.bias.data = bn.bias - bn.running_mean * bn.weight / std
            m.conv = fused
            m.bn = nn.Identity()
    return model


def at_size(x, size):
    """A float NCHW batch resampled to size x size as the runtime's letterbox resamples an image for a model of another
    input size (bilinear, pixel centres aligned); unchanged when it is that size already."""
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


class Ensemble(nn.Module):
    """Detectors of one input size and the same levels run on the same image, their decoded outputs (boxes and class
    scores, cell by cell) averaged: exported as one graph, the runtime sees one model. Train mode is not supported."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.strides = members[0].strides
        if any(m.strides != self.strides for m in members):
            raise ValueError("ensemble members must have the same output levels (strides)")
        sizes = sorted({getattr(m, "imgsz", 320) for m in members})
        if len(sizes) > 1:
            raise ValueError(f"ensemble members were trained at different input sizes {sizes}")
        self.imgsz = sizes[0]

    @property
    def export(self):
        return self.members[0].export

    @export.setter
    def export(self, v):
        for m in self.members:
            m.export = v

    def forward(self, x):
        if not self.export:
            raise RuntimeError("an Ensemble only runs in export mode (decoded outputs); train its members on their own")
        out = self.members[0](x)
        for m in self.members[1:]:
            out = out + m(x)
        return out * (1.0 / len(self.members))  # Add and Mul: ops every runtime (and onnx_numpy) has


def load_checkpoint(path, fused=False):
    """A Detector with the weights of a best.pt/last.pt (an Ensemble for a checkpoint of `members`, see
    ensemble.py); `fused`: BatchNorm folded, eval mode and the export (decoded YOLOv8 layout) output, as
    export_onnx.py and quantize_qdq.py need it."""
    ck = torch.load(path, map_location="cpu")
    if "members" in ck:
        e = Ensemble([detector_from_dict(m) for m in ck["members"]])
        if fused:
            for m in e.members:
                for_export(m)
        e.eval()
        return e
    m = detector_from_dict(ck)
    return for_export(m) if fused else m


def detector_from_dict(ck):
    """A Detector from a checkpoint dict ({"model", "arch"}: one best.pt, or one member of an ensemble)."""
    arch = ck.get("arch", {})
    m = Detector(w=tuple(arch.get("w", DEFAULT_WIDTHS)), hc=arch.get("hc", DEFAULT_HEAD), p2=arch.get("p2", 0),
                 pre=arch.get("pre", 0))
    m.load_state_dict(ck["model"])
    m.imgsz = int(arch.get("imgsz", 320))  # the input size it was trained for (train.py --imgsz); images are resampled to it
    return m


def for_export(m):
    """`m` in eval mode with its BatchNorms folded and the export (decoded YOLOv8 layout) output."""
    m.eval()
    fuse_conv_bn(m)
    m.export = True
    return m


if __name__ == "__main__":
    import time
    torch.set_num_threads(2)
    m = Detector()
    n = sum(p.numel() for p in m.parameters())
    print(f"params {n / 1e6:.3f}M")
    x = torch.randn(16, 3, 320, 320)
    opt = torch.optim.SGD(m.parameters(), lr=0.001)
    for i in range(3):
        t0 = time.time()
        b, c, s = m(x)
        (b.mean() + c.mean()).backward()
        opt.step()
        opt.zero_grad()
        print(f"train step bs16: {time.time() - t0:.2f}s  shapes {s} out {tuple(b.shape)} {tuple(c.shape)}")
    m.eval()
    with torch.no_grad():
        t0 = time.time()
        m(x[:1])
        print(f"eval 1 img {time.time() - t0:.3f}s")
