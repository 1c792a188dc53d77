#!/usr/bin/env bash
# TurboTrain end to end on synthetic demo data (~15 min on 2 CPU cores):
#   generate -> convert -> masked pretraining -> balanced fine-tuning from the pretrained trunk -> test (metrics)
#   bash tools/quickstart.sh [WORK_ROOT]          (default work_dirs/quickstart)
# Environment: DATA (default data/v2xpnp_synth), SCENARIOS (10), SPLIT ("0.7 0.1 0.2": train/val/test fractions of the
# scenarios), SEED (0), PRETRAIN_EPOCHS (1), FINETUNE_EPOCHS (2).
# Existing data and info files are reused, never overwritten.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
WORK=${1:-work_dirs/quickstart}
DATA=${DATA:-data/v2xpnp_synth}
SCENARIOS=${SCENARIOS:-10}
SPLIT=${SPLIT:-0.7 0.1 0.2}
SEED=${SEED:-0}
PRETRAIN_EPOCHS=${PRETRAIN_EPOCHS:-1}
FINETUNE_EPOCHS=${FINETUNE_EPOCHS:-2}
PY=${PYTHON:-}
if [ -z "$PY" ]; then if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python; fi; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
step() { printf '\n[quickstart %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
start=$(date +%s)

if [ ! -d "$DATA/train" ]; then
  step "1/5 generating $SCENARIOS synthetic scenarios into $DATA"
  # shellcheck disable=SC2086  (SPLIT is three numbers)
  "$PY" tools/make_synthetic_v2xpnp.py --out "$DATA" --scenarios "$SCENARIOS" --seed "$SEED" --split-fractions $SPLIT \
    --quiet
else
  step "1/5 reusing synthetic data in $DATA"
fi
if [ ! -f "$DATA/v2xpnp_infos_train.pkl" ]; then
  step "2/5 converting to info files"
  "$PY" tools/create_data.py v2xpnp --root-path "$DATA" --out-dir "$DATA" | tail -n 3
else
  step "2/5 reusing info files in $DATA"
fi
DATA_OPTS=(data_root="$DATA/" train_dataloader.dataset.data_root="$DATA/" val_dataloader.dataset.data_root="$DATA/"
           test_dataloader.dataset.data_root="$DATA/")

step "3/5 masked pretraining ($PRETRAIN_EPOCHS epoch(s), no labels)"
"$PY" tools/train.py projects/TurboTrain/configs/demo_pretrain.py --work-dir "$WORK/pretrain" \
  --cfg-options "${DATA_OPTS[@]}" train_cfg.max_epochs="$PRETRAIN_EPOCHS" train_cfg.val_interval=1000 \
  param_scheduler.1.T_max="$PRETRAIN_EPOCHS" param_scheduler.1.end="$PRETRAIN_EPOCHS" \
  2>&1 | grep -E "Epoch\(train\)|recon|Exported|trunk" || true
[ -f "$WORK/pretrain/trunk_pretrained.pth" ] || { echo "error: pretraining did not export a trunk" >&2; exit 1; }

step "4/5 balanced fine-tuning from the pretrained trunk ($FINETUNE_EPOCHS epoch(s))"
"$PY" tools/train.py projects/TurboTrain/configs/demo_turbotrain.py --work-dir "$WORK/finetune" \
  --cfg-options "${DATA_OPTS[@]}" model.init_cfg.checkpoint="$WORK/pretrain/trunk_pretrained.pth" \
  train_cfg.max_epochs="$FINETUNE_EPOCHS" train_cfg.val_interval=1000 \
  param_scheduler.1.T_max="$FINETUNE_EPOCHS" param_scheduler.1.end="$FINETUNE_EPOCHS" \
  2>&1 | grep -E "Epoch\(train\)|PretrainedTrunk|loaded" || true
CKPT=$(cat "$WORK/finetune/last_checkpoint")

step "5/5 testing $CKPT"
"$PY" tools/test.py projects/TurboTrain/configs/demo_turbotrain.py "$CKPT" --work-dir "$WORK/test" \
  --cfg-options "${DATA_OPTS[@]}" 2>&1 | sed -n '/V2XPnP metrics/,$p'
step "done in $(( $(date +%s) - start )) s; metrics JSON: $(ls -t "$WORK"/test/*/v2xpnp_metrics.json | head -n 1)"
