# Paper comparison (full size, GPUs), recipe "one-time joint training" from scratch on the summed losses.
# Budget: 45 epochs, the TurboTrain recipe's whole cost (15 pretraining + 30 fine-tuning epochs, the paper's ~45);
# validated every epoch for the cost curve.
_base_ = ['../finetune.py']

max_epochs = 45
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
