# Study row `turbotrain_warmup_pred_x10`: TurboTrain balancing, warm-up with prediction weight 10 (loss ×1).
# Natural loss scale, but the warm-up weighted as the ×10 row's: is the warm-up's share why ×10 does better than ×1?
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))))
optim_wrapper = dict(strategy=dict(type='turbotrain', warmup=100, warmup_weights=dict(pred=10.0)))
