"""A tiny numpy interpreter for the ONNX graphs this folder exports (FP32 and QDQ INT8).

onnxruntime is not installable here and onnx 1.12 has no reference evaluator, so this runs the
exported graph itself, node by node, to check the export and to estimate INT8 accuracy.
QuantizeLinear/DequantizeLinear follow the ONNX spec (round half to even, saturate); ORT's fused
integer kernels may round intermediate results slightly differently.
"""
import numpy as np
import onnx
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    s = a.get("strides", [1, 1])
    p = a.get("pads", [0, 0, 0, 0])
    g = a.get("group", 1)
    assert g == 1 and a.get("dilations", [1, 1]) == [1, 1]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])))
    ho = (xp.shape[2] - kh) // s[0] + 1
    wo = (xp.shape[3] - kw) // s[1] + 1
    out = np.empty((n, o, ho, wo), np.float32)
    wm = w.reshape(o, -1)
    for i in range(n):
        if kh == 1 and kw == 1:
            cols = xp[i][:, ::s[0], ::s[1]][:, :ho, :wo].reshape(c, -1)
            out[i] = (wm @ cols).reshape(o, ho, wo)
        else:
            win = np.lib.stride_tricks.sliding_window_view(xp[i], (kh, kw), axis=(1, 2))[:, ::s[0], ::s[1]][:, :ho, :wo]
            cols = win.transpose(0, 3, 4, 1, 2).reshape(c * kh * kw, ho * wo)
            out[i] = (wm @ cols).reshape(o, ho, wo)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def _maxpool(x, a):
    k = a["kernel_shape"]
    s = a.get("strides", [1, 1])
    p = a.get("pads", [0, 0, 0, 0])
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(xp, tuple(k), axis=(2, 3))[:, :, ::s[0], ::s[1]]
    return win.max(axis=(-2, -1)).astype(x.dtype)


def _bshape(v, axis, ndim):
    if np.ndim(v) == 0:
        return v
    sh = [1] * ndim
    sh[axis] = -1
    return v.reshape(sh)


def _quant(x, s, zp, a):
    ax = a.get("axis", 1)
    s = _bshape(s, ax, x.ndim)
    zpv = _bshape(zp.astype(np.int32), ax, x.ndim)
    q = np.rint(x / s) + zpv
    info = np.iinfo(zp.dtype)
    return np.clip(q, info.min, info.max).astype(zp.dtype)


def _dequant(x, s, zp, a):
    ax = a.get("axis", 1)
    s = _bshape(s, ax, x.ndim)
    zpv = 0 if zp is None else _bshape(zp.astype(np.int64), ax, x.ndim)
    return ((x.astype(np.int64) - zpv) * s).astype(np.float32)


class Graph:
    def __init__(self, path_or_model):
        m = onnx.load(path_or_model) if isinstance(path_or_model, str) else path_or_model
        self.model = m
        self.init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        self.inputs = [i.name for i in m.graph.input if i.name not in self.init]
        self.outputs = [o.name for o in m.graph.output]
        self.nodes = list(m.graph.node)

    def ops(self):
        return sorted({n.op_type for n in self.nodes})

    def input_size(self):
        """The fixed height of the first input (the detector's square input size), or 0 when it is dynamic."""
        i = next(i for i in self.model.graph.input if i.name == self.inputs[0])
        return int(i.type.tensor_type.shape.dim[2].dim_value)

    def detect(self, im):
        """A detector graph on one uint8 HWC image: [4+C, N] with the boxes in the image's pixels. An image of another
        size than the graph's input is resampled to it (bilinear, as the runtime's letterbox does for square images)."""
        x = im.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        size = self.input_size() or x.shape[-1]
        if size == x.shape[-1]:
            return self.run({self.inputs[0]: x})[0][0]
        import torch
        from model import at_size
        f = x.shape[-1] / size
        o = self.run({self.inputs[0]: at_size(torch.from_numpy(x), size).numpy()})[0][0]
        o[:4] *= f
        return o

    def run(self, feed):
        env = dict(self.init)
        env.update(feed)
        for n in self.nodes:
            a = _attrs(n)
            i = [env[x] if x else None for x in n.input]
            t = n.op_type
            if t == "Conv":
                r = _conv(i[0], i[1], i[2] if len(i) > 2 else None, a)
            elif t == "Sigmoid":
                r = (1.0 / (1.0 + np.exp(-i[0]))).astype(np.float32)
            elif t == "Mul":
                r = i[0] * i[1]
            elif t == "Add":
                r = i[0] + i[1]
            elif t == "Sub":
                r = i[0] - i[1]
            elif t == "Div":
                r = i[0] / i[1]
            elif t == "Exp":
                r = np.exp(i[0])
            elif t == "Concat":
                r = np.concatenate(i, axis=a["axis"])
            elif t == "Split":
                sp = i[1] if len(i) > 1 and i[1] is not None else a.get("split")
                ax = a.get("axis", 0)
                if sp is None:
                    r = np.split(i[0], len(n.output), axis=ax)
                else:
                    r = np.split(i[0], np.cumsum(sp)[:-1], axis=ax)
            elif t == "MaxPool":
                r = _maxpool(i[0], a)
            elif t == "Resize":
                sc = i[2] if len(i) > 2 and i[2] is not None and i[2].size else None
                if sc is None:
                    sc = np.array(i[3], np.float32) / np.array(i[0].shape, np.float32)
                assert a.get("mode", b"nearest") in (b"nearest", "nearest")
                r = i[0]
                for ax, f in enumerate(sc):
                    if f != 1:
                        r = np.repeat(r, int(round(f)), axis=ax)
            elif t == "Reshape":
                r = i[0].reshape([d if d != 0 else i[0].shape[k] for k, d in enumerate(i[1])])
            elif t == "Flatten":
                ax = a.get("axis", 1)
                r = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
            elif t == "Transpose":
                r = i[0].transpose(a["perm"])
            elif t == "Constant":
                r = numpy_helper.to_array(a["value"])
            elif t == "Shape":
                r = np.array(i[0].shape, np.int64)
            elif t == "Gather":
                r = np.take(i[0], i[1], axis=a.get("axis", 0))
            elif t == "Unsqueeze":
                r = np.expand_dims(i[0], tuple(int(v) for v in i[1]))
            elif t == "Slice":
                st, en = i[1], i[2]
                axes = i[3] if len(i) > 3 and i[3] is not None else range(len(st))
                steps = i[4] if len(i) > 4 and i[4] is not None else [1] * len(st)
                sl = [slice(None)] * i[0].ndim
                for s_, e_, ax, sp in zip(st, en, axes, steps):
                    sl[int(ax)] = slice(int(s_), int(e_), int(sp))
                r = i[0][tuple(sl)]
            elif t == "Identity":
                r = i[0]
            elif t == "Cast":
                r = i[0].astype(onnx.helper.tensor_dtype_to_np_dtype(a["to"]))
            elif t == "QuantizeLinear":
                r = _quant(i[0], i[1], i[2], a)
            elif t == "DequantizeLinear":
                r = _dequant(i[0], i[1], i[2] if len(i) > 2 else None, a)
            else:
                raise NotImplementedError(t)
            if isinstance(r, list):
                for name, v in zip(n.output, r):
                    env[name] = v
            else:
                env[n.output[0]] = np.asarray(r)
        return [env[o] for o in self.outputs]
