# Manual 4-stage pipeline, stage 4 of 4 (full size, GPUs): multi-agent fusion, from stage 3's checkpoint.
# Cooperators and history on, nothing frozen, summed losses (as demo_stage4_multi_agent_fusion.py).
# Budget: at most 30 epochs, stopped after 3 validations without an EPA gain.
_base_ = ['../finetune.py']

max_epochs = 30
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
custom_hooks = [dict(type='ResumableEarlyStoppingHook',
                     monitor='v2xpnp/EPA', rule='greater', min_delta=0.0, patience=3)]
