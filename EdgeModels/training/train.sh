#!/usr/bin/env bash
# Reproduce models/defect/defect.onnx and defect-int8.onnx from scratch on CPU (no network at run time
# except the one-time apt-get install below). Usage: EdgeModels/training/train.sh [--minutes 75] [--iters 16000]
# Extra arguments go to train.py.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PY=/usr/bin/python3   # Debian's Python: the pyenv python3 on PATH lacks these packages

if ! "$PY" -c "import torch, numpy, PIL, onnx" 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y python3-torch python3-numpy python3-pil python3-onnx
fi

# One thread: on a shared 2-core machine OpenMP with 2 threads ran 5-10x slower (threads wait on
# each other whenever one is descheduled).
export OMP_NUM_THREADS=1
cd "$HERE"
NICE="nice -n 10"
$NICE "$PY" gen_cache.py --seed 1 --count 15000 --name train --workers 2         # training set, seed 1 (~4.6 GB)
[ -f "$ROOT/models/defect/heldout/labels.json" ] || $NICE "$PY" make_heldout.py --seed 2 --count 180
[ -f cache/val/labels.json ] || $NICE "$PY" make_heldout.py --seed 3 --count 400 --out cache/val      # progress lines
[ -f cache/val4/labels.json ] || $NICE "$PY" make_heldout.py --seed 4 --count 1200 --out cache/val4  # operating point
$NICE "$PY" train.py --val cache/val --widths 18,36,60,120,128 --head 48 --faint-weight 6 \
  --minutes 75 --iters 16000 --batch 16 --crop 160 --threads 1 "$@"
# The line's per-class thresholds, chosen on the validation set (seed 4), written into each model's metadata.
$NICE "$PY" operating_point.py --ckpt runs/defect/best.pt --set cache/val4 --json runs/defect/op_val4.json
$NICE "$PY" export_onnx.py --min-score runs/defect/op_val4.json                  # -> models/defect/defect.onnx
$NICE "$PY" quantize_qdq.py --calib 128 --pct 99.999                              # -> models/defect/defect-int8.onnx
$NICE "$PY" operating_point.py --onnx "$ROOT/models/defect/defect-int8.onnx" --set cache/val4 --json runs/defect/op_val4_int8.json
$NICE "$PY" quantize_qdq.py --calib 128 --pct 99.999 --min-score runs/defect/op_val4_int8.json   # same graph, with its thresholds
$NICE "$PY" evaluate.py --json "$ROOT/models/defect/eval.json"                    # held-out mAP@0.5 (torch + both ONNX)
ls -l "$ROOT/models/defect/"*.onnx
