#!/usr/bin/env bash
# Install TurboTrain and its pinned OpenMMLab stack into ./.venv (idempotent).
#
#   bash tools/install.sh
#
# The first run builds mmcv 2.1.0 from its source distribution with compiled ops
# (the slow step of a cold install, see the README; CUDA ops too when a CUDA toolkit and a CUDA torch exist).
# pip's wheel cache keeps the built wheel, so later runs take well under a minute.
# Environment: VENV (default .venv), PYTHON (default python3.11 or python3),
# TT_SKIP_APT=1 to skip the system-library step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
LOG_DIR="$ROOT/.install-logs"
mkdir -p "$LOG_DIR"

step() { printf '\n[install %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'die "command failed (line $LINENO); see logs in $LOG_DIR"' ERR

# 1. System library open3d needs (libusb-1.0).
if [ "${TT_SKIP_APT:-0}" != 1 ] && ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then
  step "installing system library libusb-1.0-0 (open3d needs it)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >"$LOG_DIR/apt.log" 2>&1
  $SUDO apt-get install -y -qq libusb-1.0-0 >>"$LOG_DIR/apt.log" 2>&1
fi

# 2. Virtual environment.
if [ ! -x "$VENV/bin/python" ]; then
  step "creating virtual environment $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
# pip install, minus the harmless warnings about local index folders some machines configure.
pip_install() { "${PIP[@]}" install "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

step "build tools and torch 2.13.0"
pip_install -q 'pip>=24' 'setuptools>=77,<81' wheel ninja
pip_install -q 'torch==2.13.0' 'numpy<2' 'matplotlib>=3.6'
pip_install -q 'mmengine==0.10.7'

# 3. mmcv from source with compiled ops (CPU ops; CUDA ops when available).
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" >/dev/null 2>&1; then
  step "mmcv 2.1.0 with compiled ops already installed"
else
  WITH_CUDA=$("$PY" -c "import torch; print(int(torch.version.cuda is not None and torch.cuda.is_available()))")
  step "building mmcv 2.1.0 from source with compiled ops (FORCE_CUDA=$WITH_CUDA); the slow step of a first install, then cached"
  export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}"
  [ "$WITH_CUDA" = 1 ] && export FORCE_CUDA=1
  # -v so compiler progress is visible; condensed to one line per compiled file.
  "${PIP[@]}" install -v --no-build-isolation --no-binary mmcv 'mmcv==2.1.0' 2>&1 \
    | tee "$LOG_DIR/mmcv.log" \
    | grep --line-buffered -oE '(Building wheel.*|Using cached.*|Created wheel.*|Successfully installed.*|error:.*|\[[0-9]+/[0-9]+\].*\.(cpp|cu)[^ ]*)' \
    | sed -u -E 's#^(\[[0-9]+/[0-9]+\]).* ([^ ]+\.(cpp|cu))[^ ]*#  \1 \2#; s#'"$HOME"'##' || true
  "$PY" -c "import mmcv.ops" >/dev/null 2>&1 || die "mmcv build failed; see $LOG_DIR/mmcv.log"
fi

# 4. The detection stack and sparse convolution.
step "mmdet 3.3.0, mmdet3d 1.4.0"
# flake8: the lint step of the tests; tensorboard: the optional TensorboardVisBackend (configs/_base_/default_runtime.py)
pip_install -q 'mmdet==3.3.0' 'mmdet3d==1.4.0' 'numpy<2' 'matplotlib>=3.6' 'flake8==7.5.0' 'tensorboard'
if "$PY" -c "import torch,sys; sys.exit(0 if torch.version.cuda and torch.version.cuda.startswith('12') else 1)"; then
  SPCONV='spconv-cu120'
else
  SPCONV='spconv==2.3.8'
fi
step "sparse convolution: $SPCONV"
pip_install -q "$SPCONV"

# torchjd's aggregators for the 'torchjd' balancing strategy, with the solvers its methods call (UPGrad and
# DualProj: quadprog through qpsolvers; CAGrad: cvxpy + clarabel; NashMTL: cvxpy + ecos; FairGrad: scipy).
step "torchjd 0.18.0 and its solvers"
pip_install -q 'torchjd[full]==0.18.0' 'quadprog==0.1.14' 'qpsolvers==4.13.0' 'cvxpy==1.7.5' 'ecos==2.0.14' \
  'clarabel==0.11.1' 'numpy<2'

# 5. This project (editable) with its test tools.
step "TurboTrain (editable) and test tools"
pip_install -q --no-build-isolation --no-deps -e .
pip_install -q pytest 'pytest-timeout' 'shapely>=2'  # shapely: an independent polygon reference in the IoU tests

step "checking imports"
"$PY" - <<'PY'
import torch, mmcv, mmcv.ops, mmengine, mmdet, mmdet3d, spconv  # noqa
import cvxpy, quadprog, torchjd  # noqa: the 'torchjd' balancing strategy and its solvers
from importlib.metadata import version
import projects.TurboTrain.turbotrain  # noqa: registers the components
print(f'torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmdet {mmdet.__version__}, mmdet3d {mmdet3d.__version__}, spconv {spconv.__version__}, '
      f"torchjd {version('torchjd')}")
PY
step "done: activate with 'source $VENV/bin/activate'"
