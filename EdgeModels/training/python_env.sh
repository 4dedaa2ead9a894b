# Sourced by train.sh, release.sh and prepare_finetune.sh: the Python that has torch (installed once from Debian's
# packages when missing), one OpenMP thread, a lower priority, and the training folder as working directory.
# Sets PY, NICE, HERE and ROOT.
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
NICE="nice -n 10"
cd "$HERE"
