#!/usr/bin/env bash
# Turn a trained run into the committed model files: the per-class operating point on the validation set (seed 4),
# the FP32 ONNX file with it in its metadata, the INT8 QDQ file with its own operating point, and the held-out
# evaluation. Usage: EdgeModels/training/release.sh [RUN_DIR] [VAL_SET]   (default runs/defect and cache/val4; the INT8
# calibration images come from cache/train, or are rendered when it is absent). VAL_SET cache/val4mix (belt.py --set cache/val4 --out cache/val4mix --keep, built here when missing)
# chooses the thresholds on the validation parts both as photographed and laid on continuous mode's belt. CALIB=N sets
# the number of seed-1 images the INT8 ranges are calibrated on (default 512).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"   # PY, NICE, HERE, ROOT; cd HERE
RUN="${1:-runs/defect}"
VAL="${2:-cache/val4}"
CALIB="${CALIB:-512}"   # INT8 calibration images (1.4.0 used 128; 1.5.0 512, which kept c1h's INT8 errors at FP32's 7)
[ -f "$RUN/best.pt" ] || { echo "release.sh: $RUN/best.pt not found (train.py --out $RUN writes it)" >&2; exit 2; }
[ -f cache/val4/labels.json ] || $NICE "$PY" make_heldout.py --seed 4 --count 1200 --out cache/val4
if [ "$VAL" = cache/val4mix ] && [ ! -f cache/val4mix/labels.json ]; then
  $NICE "$PY" belt.py --set cache/val4 --out cache/val4mix --keep
fi
[ -f "$VAL/labels.json" ] || { echo "release.sh: $VAL/labels.json not found (a make_heldout.py folder)" >&2; exit 2; }
OP="op_$(basename "$VAL")"
if [ -f "$RUN/$OP.json" ] && [ "$RUN/$OP.json" -nt "$RUN/best.pt" ] && [ "$RUN/$OP.json" -nt "$VAL/labels.json" ]; then
  echo "release.sh: reusing $RUN/$OP.json (newer than $RUN/best.pt and $VAL; delete it to recompute)"
else
  $NICE "$PY" operating_point.py --ckpt "$RUN/best.pt" --set "$VAL" --json "$RUN/$OP.json" | tee "$RUN/$OP.txt"
fi
$NICE "$PY" export_onnx.py --ckpt "$RUN/best.pt" --min-score "$RUN/$OP.json"          # -> models/defect/defect.onnx
$NICE "$PY" quantize_qdq.py --ckpt "$RUN/best.pt" --calib "$CALIB" --pct 99.999                  # -> models/defect/defect-int8.onnx
$NICE "$PY" operating_point.py --onnx "$ROOT/models/defect/defect-int8.onnx" --set "$VAL" --json "$RUN/${OP}_int8.json" \
  | tee "$RUN/${OP}_int8.txt"
$NICE "$PY" quantize_qdq.py --ranges "$RUN/calibration.json" --min-score "$RUN/${OP}_int8.json"   # same graph (the ranges just measured), its thresholds
$NICE "$PY" evaluate.py --ckpt "$RUN/best.pt" --json "$ROOT/models/defect/eval.json"       # held-out mAP@0.5 (torch + both ONNX)
ls -l "$ROOT/models/defect/"*.onnx
