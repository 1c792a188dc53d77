# Paper comparison (full size, GPUs), recipe "TurboTrain pretraining + balancing": turbotrain.py.
# Budget: 30 fine-tuning epochs, as turbotrain_sum.py; validated every epoch.
_base_ = ['../turbotrain.py']

max_epochs = 30
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
