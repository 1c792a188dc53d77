# Paper comparison (full size, GPUs), recipe "TurboTrain pretraining": fine-tuning from the pretrained trunk
# (pretrain.py, 15 epochs) on the summed losses.
# Budget: 30 fine-tuning epochs, 45 with the pretraining (the paper's ~45); validated every epoch.
_base_ = ['../finetune_from_pretrain.py']

max_epochs = 30
lr = 2e-3
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
