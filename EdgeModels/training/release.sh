#!/usr/bin/env bash
# Turn a trained run into the committed model files: the per-class operating point on the validation set (seed 4),
# the FP32 ONNX file with it in its metadata, the INT8 QDQ file with its own operating point, and the held-out
# evaluation. Usage: EdgeModels/training/release.sh [RUN_DIR]   (default runs/defect; needs cache/val4 and cache/train)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3
RUN="${1:-runs/defect}"
export OMP_NUM_THREADS=1
cd "$HERE"
NICE="nice -n 10"
[ -f "$RUN/best.pt" ] || { echo "release.sh: $RUN/best.pt not found (train.py --out $RUN writes it)" >&2; exit 2; }
[ -f cache/val4/labels.json ] || $NICE "$PY" make_heldout.py --seed 4 --count 1200 --out cache/val4
$NICE "$PY" operating_point.py --ckpt "$RUN/best.pt" --set cache/val4 --json "$RUN/op_val4.json" | tee "$RUN/op_val4.txt"
$NICE "$PY" export_onnx.py --ckpt "$RUN/best.pt" --min-score "$RUN/op_val4.json"          # -> models/defect/defect.onnx
$NICE "$PY" quantize_qdq.py --ckpt "$RUN/best.pt" --calib 128 --pct 99.999                  # -> models/defect/defect-int8.onnx
$NICE "$PY" operating_point.py --onnx "$ROOT/models/defect/defect-int8.onnx" --set cache/val4 --json "$RUN/op_val4_int8.json" \
  | tee "$RUN/op_val4_int8.txt"
$NICE "$PY" quantize_qdq.py --ckpt "$RUN/best.pt" --calib 128 --pct 99.999 --min-score "$RUN/op_val4_int8.json"   # same graph, its thresholds
$NICE "$PY" evaluate.py --ckpt "$RUN/best.pt" --json "$ROOT/models/defect/eval.json"       # held-out mAP@0.5 (torch + both ONNX)
ls -l "$ROOT/models/defect/"*.onnx
