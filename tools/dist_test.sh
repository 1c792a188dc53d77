#!/usr/bin/env bash
# Distributed testing through torchrun:  tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]
# The inputs are checked once (test.py --check) before torchrun starts any process: a problem is one error line.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args]" >&2; exit 2; }
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
[ -f "$CONFIG" ] || { echo "error: config file not found: $CONFIG" >&2; exit 2; }
[ -f "$CHECKPOINT" ] || { echo "error: checkpoint not found: $CHECKPOINT" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/_dist_env.sh"
require_nproc "$NPROC"
check_inputs "$TOOLS_DIR/test.py" "$CONFIG" "$CHECKPOINT" "${@:4}"
torchrun_script "$NPROC" "$TOOLS_DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
