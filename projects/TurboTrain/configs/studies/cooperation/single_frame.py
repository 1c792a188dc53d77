# Study row `single_frame`: single frame (history dropped).
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalAttentionFusion'))),
    train_cfg=dict(current_frame_only=True),
    test_cfg=dict(current_frame_only=True))
