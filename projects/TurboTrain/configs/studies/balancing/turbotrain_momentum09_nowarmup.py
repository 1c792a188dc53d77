# Study row `turbotrain_momentum09_nowarmup`: TurboTrain balancing, weight momentum 0.9, no warm-up.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalAttentionFusion'))))
optim_wrapper = dict(strategy=dict(type='turbotrain', warmup=0, momentum=0.9))
