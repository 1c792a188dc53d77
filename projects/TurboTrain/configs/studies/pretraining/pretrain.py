# Study row `pretrain`.
# Pretrains the trunk with the per-cell attention over history frames, for the rows that fine-tune from `pretrain`.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_pretrain.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
