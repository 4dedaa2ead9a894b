#!/usr/bin/env bash
# Make everything a fine-tune of the shipped model needs on a fresh checkout, skipping what is already there:
# seeds 9, 10 and 11 (cache/train9, train10, train11), the validation sets (cache/val, cache/val4, cache/val4mix), the
# shipped model rebuilt as a checkpoint (runs/v150/best.pt) and its mistakes mined on the first 5,000 images of each
# seed (runs/v150/hard-train9.json, hard-train10.json, hard-train11.json). About 45 minutes on 2 cores. Usage:
# EdgeModels/training/prepare_finetune.sh   (then train.py --init runs/v150/best.pt --hard ..., README "Everything a
# fine-tune of 1.5.0 needs")
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"   # PY, NICE, HERE, ROOT; cd HERE
[ -f cache/train9.json ] || $NICE "$PY" gen_cache.py --seed 9 --count 15000 --name train9 --workers 2 --same-tone 0.4 --belt 0.6
[ -f cache/train10.json ] || $NICE "$PY" gen_cache.py --seed 10 --count 15000 --name train10 --workers 2 --same-tone 0.4 \
  --along-grain 0.4 --belt 0.3
[ -f cache/train11.json ] || $NICE "$PY" gen_cache.py --seed 11 --count 12000 --name train11 --workers 2 --bright 0.6 \
  --same-tone 0.5 --along-grain 0.4 --belt 0.3
[ -f runs/v150/best.pt ] || $NICE "$PY" ckpt_from_onnx.py --out runs/v150/best.pt
[ -f cache/val/labels.json ] || $NICE "$PY" make_heldout.py --seed 3 --count 400 --out cache/val
[ -f cache/val4/labels.json ] || $NICE "$PY" make_heldout.py --seed 4 --count 1200 --out cache/val4
[ -f cache/val4mix/labels.json ] || $NICE "$PY" belt.py --set cache/val4 --out cache/val4mix --keep
# The mining runs two at a time, one core each.
mine() { [ -f "runs/v150/hard-$1.json" ] || $NICE "$PY" mine.py --ckpt runs/v150/best.pt --sets "$1" --limit 5000 --out "runs/v150/hard-$1.json"; }
mine train9 & p1=$!
mine train10 & p2=$!
wait "$p1"
mine train11
wait "$p2"
echo "prepare_finetune.sh: ready (cache/train9, train10, train11, cache/val, cache/val4mix, runs/v150)"
