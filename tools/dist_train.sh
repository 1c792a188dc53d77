#!/usr/bin/env bash
# Distributed training through torchrun:  tools/dist_train.sh CONFIG NPROC [train.py args]
# Multi-node: NNODES=2 NODE_RANK=0|1 MASTER_ADDR=<node 0 address> PORT=29500 tools/dist_train.sh CONFIG NPROC
# CUDA machines use nccl, CPU-only machines gloo (one process per NPROC either way).
# The inputs are checked once (train.py --check) before torchrun starts any process: a problem is one error line.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: tools/dist_train.sh CONFIG NPROC [train.py args]" >&2; exit 2; }
CONFIG=$1
NPROC=$2
[ -f "$CONFIG" ] || { echo "error: config file not found: $CONFIG" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/_dist_env.sh"
require_nproc "$NPROC"
check_inputs "$TOOLS_DIR/train.py" "$CONFIG" "${@:3}"
torchrun_script "$NPROC" "$TOOLS_DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
