# Study row `famo_clip4`: FAMO, gradients clipped at norm 4.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalAttentionFusion'))))
optim_wrapper = dict(strategy=dict(type='famo'), clip_grad=dict(max_norm=4))
