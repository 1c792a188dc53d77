# Paper comparison (CPU demo), recipe "one-time joint training": the full cooperative multi-frame model trained
# once from scratch on the summed losses.
# Budget: 6 epochs (demo_finetune.py's own), at least the demo TurboTrain recipe's whole cost (2 pretraining + 3
# fine-tuning epochs, a pretraining epoch costing about a fine-tuning epoch); validated every epoch for the cost
# curve. projects/TurboTrain/docs/experiments/paper_comparison.md says how the budgets were chosen.
_base_ = ['../demo_finetune.py']

max_epochs = 6
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
# clipped at norm 4 as demo_turbotrain.py: every recipe of the comparison shares the optimizer settings
optim_wrapper = dict(clip_grad=dict(max_norm=4))
