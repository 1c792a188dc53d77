# Study row `nashmtl_from_pretrain_motion_clip4`: motion-aware trunk, pretrained + torchjd NashMTL every update,
# clipped at norm 4.
# The same trunk, data and clipping as `famo_from_pretrain_motion_clip4` (motion/); only the balancing differs.
# The trunk is `pretrain_motion`'s export; run_experiments.py passes its own work root's (--cfg-options
# model.init_cfg.checkpoint=<work root>/pretrain_motion/trunk_pretrained.pth).
_base_ = ['../../demo_finetune_balanced.py']

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))),
    init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/experiments/pretrain_motion/trunk_pretrained.pth'))
optim_wrapper = dict(strategy=dict(_delete_=True, type='torchjd', aggregator='NashMTL'), clip_grad=dict(max_norm=4))
