# Study row `turbotrain_full_motion_lossrate_i3_clip4`: TurboTrain: motion-aware pretrained trunk + balancing,
# magnitudes from the loss-decrease rates, conflict step every 3 updates, clipped at norm 4.
# The loss-rate recipe with a conflict-suppressing update every 3 updates instead of 10: does projecting more often add
# to the loss-rate weights?
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
# The trunk is `pretrain_motion`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain_motion/trunk_pretrained.pth).
_base_ = ['../../demo_turbotrain.py']

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))),
    init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/experiments/pretrain_motion/trunk_pretrained.pth'))
optim_wrapper = dict(clip_grad=dict(max_norm=4), strategy=dict(interval=3, max_norm_ratio=1, rebalance='loss_rate'))
