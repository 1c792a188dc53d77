# Study row `cooperative_clip4`: `sum`, gradients clipped at norm 4 (not 10).
# Natural loss scale, gradients clipped at norm 4 instead of 10 (4 stands to the ×1 runs' logged gradient norms about as
# 10 to the ×10 runs').
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
