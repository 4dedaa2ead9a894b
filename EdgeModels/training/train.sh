#!/usr/bin/env bash
# Reproduce models/defect/defect.onnx and defect-int8.onnx from scratch on CPU (no network at run time
# except the one-time apt-get install below). Usage: EdgeModels/training/train.sh [--minutes 45] [--iters 8000]
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
$NICE "$PY" gen_cache.py --seed 1 --count 5000 --name train --workers 2          # training set, seed 1
[ -f "$ROOT/models/defect/heldout/labels.json" ] || $NICE "$PY" make_heldout.py --seed 2 --count 180
$NICE "$PY" train.py --minutes 45 --iters 8000 --batch 16 --crop 160 --threads 1 "$@"
$NICE "$PY" export_onnx.py                                                        # -> models/defect/defect.onnx
$NICE "$PY" quantize_qdq.py --calib 128 --pct 99.999                              # -> models/defect/defect-int8.onnx
$NICE "$PY" evaluate.py                                                           # held-out mAP@0.5 (torch + both ONNX)
ls -l "$ROOT/models/defect/"*.onnx
