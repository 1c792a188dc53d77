# Study row `famo_pred_x10`: FAMO, trajectory loss ×10.
# Written out as the row ran, settings equal to a base default included, so that a change of a base default
# leaves the row as recorded.
_base_ = ['../../demo_finetune_balanced.py']

model = dict(
    trunk=dict(fusion_neck=dict(temporal_fusion=dict(type='TemporalAttentionFusion'))),
    traj_head=dict(loss_traj=dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=10.0)))
optim_wrapper = dict(strategy=dict(type='famo'))
