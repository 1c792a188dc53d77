#!/usr/bin/env bash
# TurboTrain end to end on synthetic demo data (how long it takes: the README's Quick start):
#   generate -> convert -> masked pretraining -> balanced fine-tuning from the pretrained trunk -> test (metrics)
#   bash tools/quickstart.sh [--check] [WORK_ROOT]   (default work_dirs/quickstart; --check: check the environment
#                                                    variables below and the data folder, then stop)
# Environment: DATA (default data/v2xpnp_synth), SCENARIOS (10, at least 3), SPLIT ("0.7 0.1 0.2": train/val/test
# fractions of the scenarios), SEED (0), PRETRAIN_EPOCHS (1), FINETUNE_EPOCHS (2).
# Data is generated and converted in DATA.partial and renamed to DATA only when complete (with a .quickstart_done
# marker), so an interrupted run is redone, never reused; a complete DATA is reused, never overwritten. Each step's
# full output goes to WORK_ROOT/logs/<step>.log; a failing step prints its error line and that log's path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CHECK=0
ARGS=()
for arg in "$@"; do if [ "$arg" = --check ]; then CHECK=1; else ARGS+=("$arg"); fi; done
WORK=${ARGS[0]:-work_dirs/quickstart}
DATA=${DATA:-data/v2xpnp_synth}
DATA=${DATA%/}
SCENARIOS=${SCENARIOS:-10}
SPLIT=${SPLIT:-0.7 0.1 0.2}
SEED=${SEED:-0}
PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-1}
FINETUNE_EPOCHS=${FINETUNE_EPOCHS:-2}
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python; fi; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
MARKER=.quickstart_done
INFOS=(v2xpnp_infos_train.pkl v2xpnp_infos_val.pkl v2xpnp_infos_test.pkl)

die() { echo "error: $*" >&2; exit 2; }
positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }
positive SCENARIOS "$SCENARIOS"
[ "$SCENARIOS" -ge 3 ] || die "SCENARIOS must be at least 3 (one each for train, val and test), got $SCENARIOS"
positive PRETRAIN_EPOCHS "$PRETRAIN_EPOCHS"
positive FINETUNE_EPOCHS "$FINETUNE_EPOCHS"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, got '$SEED'"
read -r -a SPLIT_FRACTIONS <<< "$SPLIT"
[ "${#SPLIT_FRACTIONS[@]}" = 3 ] || die "SPLIT must be three fractions (train val test), got '$SPLIT'"
for f in "${SPLIT_FRACTIONS[@]}"; do
  [[ "$f" =~ ^(0|1)?(\.[0-9]+)?$ && -n "$f" && "$f" != . ]] || die "SPLIT fractions must be numbers in [0, 1], got '$SPLIT'"
done
if [ -e "$DATA" ] && [ ! -f "$DATA/$MARKER" ]; then
  missing=()
  for info in "${INFOS[@]}"; do [ -f "$DATA/$info" ] || missing+=("$info"); done
  [ ${#missing[@]} = 0 ] || die "$DATA exists but is not complete quick-start data (no ${missing[*]}, no $MARKER):" \
    "move it away or set DATA=another folder"
fi
if [ "$CHECK" = 1 ]; then echo "quick start settings checked (data: $DATA, work dir: $WORK)"; exit 0; fi
mkdir -p "$WORK/logs"

step() { printf '\n[quickstart %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
# run_step NAME FILTER CMD...: full output to $WORK/logs/NAME.log, the lines matching FILTER on the console; on
# failure the command's error (its `error:` line, else its last exception line) and the log path.
run_step() {
  local name=$1 filter=$2 log="$WORK/logs/$1.log" status=0
  shift 2
  set +e
  "$@" 2>&1 | tee "$log" | { grep -E --line-buffered "$filter" || true; }
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" != 0 ]; then
    local cause
    cause=$(grep -E '^error: ' "$log" | tail -n 1 || true)
    [ -n "$cause" ] || cause=$(grep -E '^[A-Za-z_.]*(Error|Exception|Interrupt)\b' "$log" | tail -n 1 || true)
    [ -n "$cause" ] || cause=$(tail -n 1 "$log")
    echo "error: quick start step '$name' failed (exit $status): ${cause#error: } (full log: $log)" >&2
    exit 1
  fi
}
start=$(date +%s)

if [ -f "$DATA/$MARKER" ]; then
  step "1-2/5 reusing synthetic data and info files in $DATA"
elif [ -e "$DATA" ]; then
  step "1-2/5 using the converted data in $DATA"
else
  PARTIAL="$DATA.partial"
  rm -rf "$PARTIAL"  # left by an interrupted quick start: never reused
  step "1/5 generating $SCENARIOS synthetic scenarios into $DATA"
  run_step generate '^error' "$PY" tools/make_synthetic_v2xpnp.py --out "$PARTIAL" --scenarios "$SCENARIOS" \
    --seed "$SEED" --split-fractions "${SPLIT_FRACTIONS[@]}" --quiet
  step "2/5 converting to info files"
  run_step convert '^done|^error' "$PY" tools/create_data.py v2xpnp --root-path "$PARTIAL" --out-dir "$PARTIAL"
  for info in "${INFOS[@]}"; do
    [ -f "$PARTIAL/$info" ] || die "conversion wrote no $info (full log: $WORK/logs/convert.log)"
  done
  touch "$PARTIAL/$MARKER"
  mkdir -p "$(dirname "$DATA")"
  mv "$PARTIAL" "$DATA"
fi

step "3/5 masked pretraining ($PRETRAIN_EPOCHS epoch(s), no labels)"
run_step pretrain 'Epoch\(train\)|recon|Exported|trunk' \
  "$PY" tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir "$WORK/pretrain" --data-root "$DATA" \
  --epochs "$PRETRAIN_EPOCHS" --cfg-options train_cfg.val_interval=1000
[ -f "$WORK/pretrain/trunk_pretrained.pth" ] || \
  die "pretraining did not export a trunk (full log: $WORK/logs/pretrain.log)"

step "4/5 balanced fine-tuning from the pretrained trunk ($FINETUNE_EPOCHS epoch(s))"
run_step finetune 'Epoch\(train\)|PretrainedTrunk|loaded' \
  "$PY" tools/train.py projects/TurboTrain/configs/demo_turbotrain.py --work-dir "$WORK/finetune" \
  --data-root "$DATA" --epochs "$FINETUNE_EPOCHS" \
  --cfg-options model.init_cfg.checkpoint="$WORK/pretrain/trunk_pretrained.pth" train_cfg.val_interval=1000
CKPT=$(cat "$WORK/finetune/last_checkpoint")

step "5/5 testing $CKPT"
run_step test '^error|Epoch\(test\)' \
  "$PY" tools/test.py projects/TurboTrain/configs/demo_turbotrain.py "$CKPT" --work-dir "$WORK/test" --data-root "$DATA"
sed -n '/V2XPnP metrics/,$p' "$WORK/logs/test.log"
step "done in $(( $(date +%s) - start )) s; metrics JSON: $(ls -t "$WORK"/test/*/v2xpnp_metrics.json | head -n 1)"
