# Study row `cooperative_motion_clip4`: `sum`, motion-aware temporal fusion, clipped at norm 4 (from scratch).
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
