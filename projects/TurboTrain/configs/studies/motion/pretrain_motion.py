# Study row `pretrain_motion`: masked pretraining of the trunk with the motion-aware temporal fusion.
# Pretrains the trunk with the motion-aware temporal fusion (history frames stacked by age, then a spatial convolution),
# for the `motion` rows that fine-tune from it.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_pretrain.py']

model = dict(trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalConvFusion'))))
