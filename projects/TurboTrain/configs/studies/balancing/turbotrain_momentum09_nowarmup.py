# Study row `turbotrain_momentum09_nowarmup`: TurboTrain balancing, weight momentum 0.9, no warm-up.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
optim_wrapper = dict(strategy=dict(type='turbotrain', warmup=0, momentum=0.9))
