#!/usr/bin/env bash
# Distributed training through torchrun:  tools/dist_train.sh CONFIG NPROC [train.py args]
# Multi-node: NNODES=2 NODE_RANK=0|1 MASTER_ADDR=<node 0 address> PORT=29500 tools/dist_train.sh CONFIG NPROC
# CUDA machines use nccl, CPU-only machines gloo (one process per NPROC either way).
set -euo pipefail
usage() { echo "usage: tools/dist_train.sh CONFIG NPROC [train.py args]" >&2; exit 2; }
[ $# -ge 2 ] || usage
CONFIG=$1
NPROC=$2
[ -f "$CONFIG" ] || { echo "error: config file not found: $CONFIG" >&2; exit 2; }
[[ "$NPROC" =~ ^[1-9][0-9]*$ ]] || { echo "error: NPROC must be a positive integer, got '$NPROC'" >&2; exit 2; }
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$HERE/../.venv/bin/python" ]; then PYTHON="$HERE/../.venv/bin/python"; else PYTHON=python; fi
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( ($(nproc) + NPROC - 1) / NPROC ))}
exec "$PYTHON" -m torch.distributed.run \
  --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$HERE/train.py" "$CONFIG" --launcher pytorch "${@:3}"
