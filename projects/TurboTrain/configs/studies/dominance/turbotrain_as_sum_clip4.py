# Study row `turbotrain_as_sum_clip4`: control: TurboTrain path, no re-weighting or projection (= `sum`), clipped at
# norm 4.
# Control: TurboTrain that never re-weights (no norm ratio counts as dominating) or projects, i.e. `sum` in exact
# arithmetic through the per-task gradient path; its distance from `sum` at the same seed is the noise floor of a paired
# comparison.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
optim_wrapper = dict(
    strategy=dict(type='turbotrain', warmup=100, max_norm_ratio=float('inf'), project=False),
    clip_grad=dict(max_norm=4))
