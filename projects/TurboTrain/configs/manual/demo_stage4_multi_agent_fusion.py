# Manual 4-stage pipeline, stage 4 of 4 (CPU demo): multi-agent fusion. Starts from stage 3's checkpoint (set by
# tools/train_chain.py). Cooperators on (the fine-tune config's input: every agent, every history frame); nothing
# frozen, summed losses. Its last checkpoint is the pipeline's final model, tested on held-out scenarios.
# Budget: at most 4 epochs, stopped at the first validation that does not improve EPA; see
# demo_stage1_single_agent_det.py.
_base_ = ['../demo_finetune.py']

max_epochs = 4
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
# clipped at norm 4 as demo_turbotrain.py: every recipe of the paper
# comparison shares the optimizer settings, so only the recipe differs
optim_wrapper = dict(clip_grad=dict(max_norm=4))
custom_hooks = [dict(type='ResumableEarlyStoppingHook',
                     monitor='v2xpnp/EPA', rule='greater', min_delta=0.0, patience=1)]
