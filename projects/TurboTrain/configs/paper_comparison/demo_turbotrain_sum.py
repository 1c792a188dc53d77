# Paper comparison (CPU demo), recipe "TurboTrain pretraining": fine-tuning from the demo pretrained trunk
# (demo_pretrain.py, 2 epochs) on the summed losses.
# Budget: 3 fine-tuning epochs (the project's balancing studies' budget), 5 with the pretraining; validated every
# epoch for the cost curve; see projects/TurboTrain/docs/experiments/paper_comparison.md.
_base_ = ['../demo_finetune_from_pretrain.py']

max_epochs = 3
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
# clipped at norm 4 as demo_turbotrain.py: this recipe and the next differ only in the balancing
optim_wrapper = dict(clip_grad=dict(max_norm=4))
