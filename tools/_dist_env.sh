# Shared by dist_train.sh and dist_test.sh (sourced): torchrun settings and the Python to use.
# NNODES, NODE_RANK, MASTER_ADDR, PORT: multi-node rendezvous (defaults: one node on this machine).
# CHECK_ONLY=1 stops after the single-process input check (nothing is launched); SKIP_CHECK=1 skips that check
# (the ranks still check their inputs, and only rank 0 reports a problem).
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
TOOLS_DIR="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"  # physical path: python finds its venv from it
if [ -z "${PYTHON:-}" ]; then
  if [ -z "${VIRTUAL_ENV:-}" ] && [ -x "$TOOLS_DIR/../.venv/bin/python" ]; then PYTHON="$TOOLS_DIR/../.venv/bin/python"
  else PYTHON=python; fi
fi

require_nproc() {  # NPROC must be a positive integer
  [[ "$1" =~ ^[1-9][0-9]*$ ]] || { echo "error: NPROC must be a positive integer, got '$1'" >&2; exit 2; }
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( ($(nproc) + $1 - 1) / $1 ))}
}

check_inputs() {  # check_inputs SCRIPT ARGS...: the script's own --check in one process; its status on failure
  [ "${SKIP_CHECK:-0}" = 1 ] && return 0
  local status=0
  "$PYTHON" "$@" --check >/dev/null || status=$?
  [ "$status" = 0 ] || exit "$status"
  if [ "${CHECK_ONLY:-0}" = 1 ]; then echo "$2: inputs checked (CHECK_ONLY=1: not launched)"; exit 0; fi
}

torchrun_script() {  # torchrun_script NPROC SCRIPT ARGS...: one process per NPROC on each node
  local nproc=$1; shift
  exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$nproc" --master_port="$PORT" "$@"
}
