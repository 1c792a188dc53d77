# Manual 4-stage pipeline, stage 2 of 4 (full size, GPUs): temporal prediction, from stage 1's checkpoint.
# Ego alone with its history and the new prediction head; the per-agent encoder and the detection head frozen, the
# fusion neck and prediction head trained, both losses on; as demo_stage2_temporal_pred.py, which explains why.
# Budget: at most 30 epochs, stopped after 3 validations without an EPA gain.
_base_ = ['../finetune.py']

max_epochs = 30
lr = 2e-3
model = dict(frozen_modules=['trunk.bev_encoder', 'trunk.backbone', 'trunk.neck', 'trunk.agent_type_embedding',
                             'bbox_head'],
             train_cfg=dict(ego_only=True),
             test_cfg=dict(ego_only=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
custom_hooks = [dict(type='ResumableEarlyStoppingHook',
                     monitor='v2xpnp/EPA', rule='greater', min_delta=0.0, patience=3)]
