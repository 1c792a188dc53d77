# Study row `pred_motion_h5_from_pretrain_clip4`: `pred_motion_from_pretrain_clip4` (learned velocity + residual head,
# pretrained motion-aware trunk, summed losses, clipped at norm 4) with 5 history frames instead of 3, from the
# 5-frame trunk `pretrain_motion_h5` (see there why 5). The first 4 frames of each scenario have no 5-frame history
# and give no sample (the dataset's require_full_history), so the splits hold a few samples fewer than at 3 frames.
# The trunk is `pretrain_motion_h5`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain_motion_h5/trunk_pretrained.pth).
_base_ = ['../../demo_finetune_motion.py']

history_frames = 5
horizon = dict(history_frames=history_frames, future_frames=10)
model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion', max_history=history_frames))),
    init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/experiments/pretrain_motion_h5/trunk_pretrained.pth'))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
train_cfg = dict(val_interval=1)
train_dataloader = dict(dataset=horizon)
val_dataloader = dict(dataset=horizon)
test_dataloader = dict(dataset=horizon)
