#!/usr/bin/env bash
# Distributed testing through torchrun:  tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
set -euo pipefail
usage() { echo "usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]" >&2; exit 2; }
[ $# -ge 3 ] || usage
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
[ -f "$CONFIG" ] || { echo "error: config file not found: $CONFIG" >&2; exit 2; }
[ -f "$CHECKPOINT" ] || { echo "error: checkpoint not found: $CHECKPOINT" >&2; exit 2; }
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
  "$HERE/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
