# Study row `pcgrad_clip4`: PCGrad every step, gradients clipped at norm 4.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
optim_wrapper = dict(strategy=dict(type='pcgrad'), clip_grad=dict(max_norm=4))
