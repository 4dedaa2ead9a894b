#!/usr/bin/env bash
# Make everything a fine-tune of the shipped model needs on a fresh checkout, skipping what is already there:
# seeds 9 to 15 (cache/train9 ... train15), the validation sets (cache/val, cache/val4, cache/val4mix), the shipped
# model rebuilt as a checkpoint (runs/v170/best.pt) and its mistakes mined on the first 5,000 images of each seed
# (runs/v170/hard-train9.json ... hard-train15.json). About 70 minutes on 2 cores. Usage:
# EdgeModels/training/prepare_finetune.sh   (then train.py --init runs/v170/best.pt --hard ..., README "Everything a
# fine-tune of 1.7.0 needs")
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/python_env.sh"   # PY, NICE, HERE, ROOT; cd HERE
[ -f cache/train9.json ] || $NICE "$PY" gen_cache.py --seed 9 --count 15000 --name train9 --workers 2 --same-tone 0.4 --belt 0.6
[ -f cache/train10.json ] || $NICE "$PY" gen_cache.py --seed 10 --count 15000 --name train10 --workers 2 --same-tone 0.4 \
  --along-grain 0.4 --belt 0.3
[ -f cache/train11.json ] || $NICE "$PY" gen_cache.py --seed 11 --count 12000 --name train11 --workers 2 --bright 0.6 \
  --same-tone 0.5 --along-grain 0.4 --belt 0.3
[ -f cache/train12.json ] || $NICE "$PY" gen_cache.py --seed 12 --count 6000 --name train12 --workers 2 --clutter 0.7 \
  --bright 0.4 --same-tone 0.5 --along-grain 0.4
[ -f cache/train13.json ] || $NICE "$PY" gen_cache.py --seed 13 --count 8000 --name train13 --workers 2 --clutter 0.7 \
  --bright 0.5 --same-tone 0.5 --along-grain 0.4 --belt 0.6
[ -f cache/train14.json ] || $NICE "$PY" gen_cache.py --seed 14 --count 8000 --name train14 --workers 2 --clutter 0.7 \
  --bright 0.5 --same-tone 0.5 --along-grain 0.4 --belt 0.6
[ -f cache/train15.json ] || $NICE "$PY" gen_cache.py --seed 15 --count 8000 --name train15 --workers 2 --hairline 0.6 \
  --clutter 0.7 --bright 0.5 --same-tone 0.5 --along-grain 0.4 --belt 0.6
[ -f runs/v170/best.pt ] || $NICE "$PY" ckpt_from_onnx.py --out runs/v170/best.pt
[ -f cache/val/labels.json ] || $NICE "$PY" make_heldout.py --seed 3 --count 400 --out cache/val
[ -f cache/val4/labels.json ] || $NICE "$PY" make_heldout.py --seed 4 --count 1200 --out cache/val4
[ -f cache/val4mix/labels.json ] || $NICE "$PY" belt.py --set cache/val4 --out cache/val4mix --keep
# The mining runs two at a time, one core each.
mine() { [ -f "runs/v170/hard-$1.json" ] || $NICE "$PY" mine.py --ckpt runs/v170/best.pt --sets "$1" --limit 5000 --out "runs/v170/hard-$1.json"; }
(mine train9; mine train11; mine train13; mine train15) & p1=$!
(mine train10; mine train12; mine train14) & p2=$!
wait "$p1"
wait "$p2"
echo "prepare_finetune.sh: ready (cache/train9 ... train15, cache/val, cache/val4mix, runs/v170)"
