"""Assignment (task-aligned, YOLOv8-style), losses, NMS and VOC mAP for the defect detector."""
import numpy as np
import torch
import torch.nn.functional as F

from model import decode, make_anchors


def box_iou(a, b, eps=1e-9):
    """Elementwise IoU of broadcastable [..., 4] xyxy boxes."""
    lt = torch.maximum(a[..., :2], b[..., :2])
    rb = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp(min=0).prod(-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp(min=0).prod(-1)
    return inter / (area_a + area_b - inter + eps)


def giou(a, b, eps=1e-9):
    iou = box_iou(a, b, eps)
    lt = torch.minimum(a[..., :2], b[..., :2])
    rb = torch.maximum(a[..., 2:], b[..., 2:])
    hull = (rb - lt).clamp(min=0).prod(-1)
    lt2 = torch.maximum(a[..., :2], b[..., :2])
    rb2 = torch.minimum(a[..., 2:], b[..., 2:])
    inter = (rb2 - lt2).clamp(min=0).prod(-1)
    union = (a[..., 2:] - a[..., :2]).prod(-1) + (b[..., 2:] - b[..., :2]).prod(-1) - inter
    return iou - (hull - union) / (hull + eps)


@torch.no_grad()
def assign(scores, boxes, anchors, strides, gt_boxes, gt_cls, gt_mask, topk=10, alpha=0.5, beta=6.0, floor=0.0):
    """Task-aligned assignment.

    scores [B,N,C] sigmoid, boxes [B,N,4] xyxy, anchors [2,N], strides [1,N],
    gt_boxes [B,M,4], gt_cls [B,M] long, gt_mask [B,M] bool.
    Returns fg [B,N] bool, target boxes [B,N,4], target scores [B,N,C]. A positive cell's target score is its
    normalised alignment (IoU-aware, at most the best IoU for that box), raised to at least `floor` (1.0: binary;
    a float for every class, or a [C] tensor of one per class).
    """
    B, N, C = scores.shape
    M = gt_boxes.shape[1]
    if M == 0:
        return torch.zeros(B, N, dtype=torch.bool), torch.zeros(B, N, 4), torch.zeros(B, N, C)
    ax, ay = anchors[0][None, None], anchors[1][None, None]  # 1,1,N
    st = strides[0][None, None]
    g = gt_boxes[:, :, None, :]  # B,M,1,4
    gcx, gcy = (g[..., 0] + g[..., 2]) / 2, (g[..., 1] + g[..., 3]) / 2
    hw, hh = (g[..., 2] - g[..., 0]) / 2, (g[..., 3] - g[..., 1]) / 2
    cand = ((ax - gcx).abs() < torch.maximum(hw, st)) & ((ay - gcy).abs() < torch.maximum(hh, st)) & gt_mask[:, :, None]
    iou = box_iou(g, boxes[:, None, :, :]).clamp(min=0)  # B,M,N
    sc = torch.gather(scores.transpose(1, 2), 1, gt_cls[:, :, None].expand(-1, -1, N))  # B,M,N
    align = sc.pow(alpha) * iou.pow(beta) * cand
    k = min(topk, N)
    # tiny tie-breaker towards anchors near the centre so that early (all-zero) metrics still pick sensible cells
    dist = ((ax - gcx) ** 2 + (ay - gcy) ** 2).sqrt() / st
    key = align + (1e-6 / (1 + dist)) * cand
    top_i = key.topk(k, dim=-1).indices
    sel = torch.zeros_like(cand).scatter_(-1, top_i, True) & cand
    multi = sel.sum(1, keepdim=True) > 1  # B,1,N
    if multi.any():
        best = (iou * cand).argmax(1)  # B,N
        onehot = F.one_hot(best, M).permute(0, 2, 1).bool()
        sel = torch.where(multi, onehot & cand, sel)
    fg = sel.any(1)
    gi = sel.float().argmax(1)  # B,N
    tb = torch.gather(gt_boxes, 1, gi[..., None].expand(-1, -1, 4))
    tc = torch.gather(gt_cls, 1, gi)
    a_sel = align * sel
    pos_a = a_sel.amax(-1, keepdim=True)
    pos_iou = (iou * sel).amax(-1, keepdim=True)
    norm = (a_sel * pos_iou / (pos_a + 1e-9)).amax(1)  # B,N
    if torch.is_tensor(floor):  # one floor per class: that of each positive cell's class
        norm = torch.maximum(norm, floor.to(norm)[tc])
    elif floor > 0:
        norm = norm.clamp(min=floor)
    ts = F.one_hot(tc, C).float() * (norm * fg)[..., None]
    return fg, tb, ts


def compute_loss(box_raw, cls_logits, shapes, strides_cfg, gt_boxes, gt_cls, gt_mask, w_cls=1.0, w_box=5.0, w_l1=0.25,
                 separate_first=False, floor=0.0):
    """`separate_first`: assign the first level's cells on their own (their own top-k per box) and the other levels
    together, so a head added to a trained model (Detector.add_p2) gets positives although the trained levels'
    predictions align better at first."""
    anchors, st = make_anchors(shapes, strides_cfg)
    pboxes = decode(box_raw, shapes, strides_cfg)  # B,N,4
    logits = cls_logits.transpose(1, 2)  # B,N,C
    probs, pb_d = logits.detach().sigmoid(), pboxes.detach()
    if separate_first:
        n0 = int(shapes[0][0]) * int(shapes[0][1])
        parts = [assign(probs[:, sl], pb_d[:, sl], anchors[:, sl], st[:, sl], gt_boxes, gt_cls, gt_mask, floor=floor)
                 for sl in (slice(0, n0), slice(n0, None))]
        fg, tb, ts = (torch.cat([p_[i] for p_ in parts], 1) for i in range(3))
    else:
        fg, tb, ts = assign(probs, pb_d, anchors, st, gt_boxes, gt_cls, gt_mask, floor=floor)
    tss = ts.sum().clamp(min=1.0)
    l_cls = F.binary_cross_entropy_with_logits(logits, ts, reduction="sum") / tss
    if fg.any():
        w = ts.sum(-1)[fg]
        pb, t = pboxes[fg], tb[fg]
        l_box = ((1 - giou(pb, t)) * w).sum() / tss
        a = anchors.t()[None].expand(fg.shape[0], -1, -1)[fg]
        s = st.t()[None].expand(fg.shape[0], -1, -1)[fg]
        lt_p = torch.cat([a - pb[:, :2], pb[:, 2:] - a], 1) / s
        lt_t = torch.cat([a - t[:, :2], t[:, 2:] - a], 1).clamp(min=0.05) / s
        l_l1 = (F.smooth_l1_loss(lt_p, lt_t, reduction="none").sum(-1) * w).sum() / tss
    else:
        l_box = l_l1 = box_raw.sum() * 0
    loss = w_cls * l_cls + w_box * l_box + w_l1 * l_l1
    return loss, (l_cls.item(), l_box.item(), l_l1.item(), int(fg.sum()))


def nms(boxes, scores, thr, max_keep=None):
    """Greedy NMS on numpy arrays; returns kept indices (sorted by score)."""
    order = scores.argsort()[::-1]
    keep = []
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    while order.size:
        i = order[0]
        keep.append(i)
        if order.size == 1 or (max_keep and len(keep) >= max_keep):
            break
        r = order[1:]
        iw = (np.minimum(x2[i], x2[r]) - np.maximum(x1[i], x1[r])).clip(0)
        ih = (np.minimum(y2[i], y2[r]) - np.maximum(y1[i], y1[r])).clip(0)
        inter = iw * ih
        iou = inter / (area[i] + area[r] - inter + 1e-9)
        order = r[iou <= thr]
    return np.array(keep, dtype=np.int64)


def postprocess(out, conf=0.001, iou=0.45, max_det=100, max_nms=3000):
    """out: numpy [4+C, N] in the ONNX layout -> list of (cls, score, [x1,y1,x2,y2]).

    Multi-label like Ultralytics: every (box, class) pair above conf is a candidate; NMS per class."""
    cxcywh, sc = out[:4].T, out[4:].T  # N,4  N,C
    xyxy = np.concatenate([cxcywh[:, :2] - cxcywh[:, 2:] / 2, cxcywh[:, :2] + cxcywh[:, 2:] / 2], 1)
    i, j = np.nonzero(sc > conf)
    s = sc[i, j]
    if s.size > max_nms:
        top = np.argsort(-s)[:max_nms]
        i, j, s = i[top], j[top], s[top]
    b = xyxy[i]
    off = b + (j * 4096.0)[:, None]
    keep = nms(off, s, iou, max_det)[:max_det]
    return [(int(j[k]), float(s[k]), b[k].tolist()) for k in keep]


def voc_ap(rec, prec):
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = max(mpre[i - 1], mpre[i])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def map50(dets, gts, nc, iou_thr=0.5):
    """dets: per image list of (cls, score, box); gts: per image list of (cls, box).
    VOC all-point interpolated AP per class at IoU 0.5, mean over classes that have ground truth."""
    aps = {}
    for c in range(nc):
        gt_c = {i: np.array([b for k, b in g if k == c], dtype=np.float64).reshape(-1, 4) for i, g in enumerate(gts)}
        npos = sum(len(v) for v in gt_c.values())
        if npos == 0:
            continue
        used = {i: np.zeros(len(v), bool) for i, v in gt_c.items()}
        d = [(s, i, b) for i, dl in enumerate(dets) for k, s, b in dl if k == c]
        d.sort(key=lambda t: -t[0])
        tp = np.zeros(len(d))
        fp = np.zeros(len(d))
        for n, (s, i, b) in enumerate(d):
            g = gt_c[i]
            if len(g):
                iw = (np.minimum(g[:, 2], b[2]) - np.maximum(g[:, 0], b[0])).clip(0)
                ih = (np.minimum(g[:, 3], b[3]) - np.maximum(g[:, 1], b[1])).clip(0)
                inter = iw * ih
                u = (b[2] - b[0]) * (b[3] - b[1]) + (g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]) - inter
                ov = inter / np.maximum(u, 1e-9)
                m = int(ov.argmax())
                if ov[m] >= iou_thr and not used[i][m]:
                    used[i][m] = True
                    tp[n] = 1
                    continue
            fp[n] = 1
        tp, fp = np.cumsum(tp), np.cumsum(fp)
        rec = tp / npos
        prec = tp / np.maximum(tp + fp, 1e-9)
        aps[c] = voc_ap(rec, prec) if len(d) else 0.0
    m = float(np.mean(list(aps.values()))) if aps else 0.0
    return m, aps


def letterbox(img, size=320, pad=114):
    """uint8 HxWx3 -> (uint8 size x size x 3, scale, (dx, dy)); identity for size x size input."""
    from PIL import Image
    h, w = img.shape[:2]
    r = min(size / h, size / w)
    nh, nw = int(round(h * r)), int(round(w * r))
    if (nh, nw) == (h, w) and h == size and w == size:
        return img, 1.0, (0, 0)
    im = np.asarray(Image.fromarray(img).resize((nw, nh), Image.BILINEAR))
    out = np.full((size, size, 3), pad, np.uint8)
    dy, dx = (size - nh) // 2, (size - nw) // 2
    out[dy:dy + nh, dx:dx + nw] = im
    return out, r, (dx, dy)


def overlap(a, boxes):
    """Intersection over the smaller box's area, of box a [4] (x1, y1, x2, y2) with each of boxes [N, 4] -> [N]: a thin
    scratch's box and a detection along part of it overlap fully though their IoU is small (mine.py, and
    operating_point.py's defects judged one by one)."""
    a, boxes = np.asarray(a, np.float64), np.asarray(boxes, np.float64).reshape(-1, 4)
    iw = np.minimum(a[2], boxes[:, 2]) - np.maximum(a[0], boxes[:, 0])
    ih = np.minimum(a[3], boxes[:, 3]) - np.maximum(a[1], boxes[:, 1])
    small = np.minimum((a[2] - a[0]) * (a[3] - a[1]), (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return np.where((iw > 0) & (ih > 0), iw * ih / np.maximum(small, 1e-9), 0.0)
