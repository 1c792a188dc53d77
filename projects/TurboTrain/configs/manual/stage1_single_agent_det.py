# Manual 4-stage pipeline, stage 1 of 4 (full size, GPUs): single-agent detection.
#   python tools/train_chain.py projects/TurboTrain/configs/manual/chain.py --work-dir work_dirs/manual --nproc 8
# The ego vehicle alone, the current frame alone, detection only (no prediction head yet); as
# demo_stage1_single_agent_det.py, which explains each choice.
# Budget: at most 30 epochs, stopped after 3 validations without a vehicle AP@0.5 gain; the four stages' caps sum
# to the paper's ~120 epochs of the manual pipeline (projects/TurboTrain/docs/experiments/paper_comparison.md).
_base_ = ['../finetune.py']

max_epochs = 30
lr = 2e-3
model = dict(traj_head=None,
             train_cfg=dict(ego_only=True, current_frame_only=True),
             test_cfg=dict(ego_only=True, current_frame_only=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
custom_hooks = [dict(type='ResumableEarlyStoppingHook',
                     monitor='v2xpnp/AP@0.5/vehicle', rule='greater', min_delta=0.0,
                     patience=3)]
