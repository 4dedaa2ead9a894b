#!/usr/bin/env bash
# Reproduce models/defect/defect.onnx and defect-int8.onnx from scratch on CPU (no network at run time
# except the one-time apt-get install below); about three hours on 2 cores. Usage: EdgeModels/training/train.sh
# [--minutes 75] [--iters 16000]   (extra arguments go to the first stage's train.py)
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
# Stage 1 (= model 1.2.0): from scratch on the 15,000 images.
$NICE "$PY" train.py --val cache/val --widths 18,36,60,120,128 --head 48 --faint-weight 6 \
  --minutes 75 --iters 16000 --batch 16 --crop 160 --threads 1 --out runs/base "$@"
# Stage 2 (1.3.0): fine-tune on 45,000 images, two more rendered sets beside the first.
$NICE "$PY" gen_cache.py --seed 5 --count 15000 --name train5 --workers 2
$NICE "$PY" gen_cache.py --seed 6 --count 15000 --name train6 --workers 2
$NICE "$PY" train.py --train-set train train5 train6 --val cache/val --init runs/base/best.pt --faint-weight 6 \
  --minutes 100 --iters 40000 --batch 16 --crop 224 --lr 5e-4 --seed 3 --threads 1 --out runs/defect
# Per-class thresholds on the validation set (seed 4) into each file's metadata, export, INT8, held-out evaluation.
"$HERE/release.sh" runs/defect
