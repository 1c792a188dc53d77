# Study row `turbotrain_full_ratio2_clip4`: TurboTrain: pretrained trunk + balancing, norm ratio up to 2 tolerated,
# clipped at norm 4.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
# The trunk is `pretrain`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain/trunk_pretrained.pth).
_base_ = ['../../demo_turbotrain.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))),
    init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/experiments/pretrain/trunk_pretrained.pth'))
optim_wrapper = dict(clip_grad=dict(max_norm=4), strategy=dict(max_norm_ratio=2, rebalance='grad_norm'))
