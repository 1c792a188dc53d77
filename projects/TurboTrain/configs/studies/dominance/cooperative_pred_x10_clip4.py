# Study row `cooperative_pred_x10_clip4`: `sum`, trajectory loss ×10, clipped at norm 4.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune.py']

# temporal fusion: the per-cell attention over history frames the row ran with, replacing the base's module
# and its arguments
model = dict(
    trunk=dict(
        fusion_neck=dict(
            temporal_fusion=dict(_delete_=True, type='TemporalAttentionFusion', channels=32, max_history=3))),
    traj_head=dict(loss_traj=dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=10.0)))
optim_wrapper = dict(clip_grad=dict(max_norm=4))
