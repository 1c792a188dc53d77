# AdamW with a cosine learning-rate schedule after a linear warm-up, epoch based.
lr = 2e-3
max_epochs = 20
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.99), weight_decay=0.01),
    clip_grad=dict(max_norm=10, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# Learning rate scales linearly with the global batch (GPUs x batch per GPU) with --auto-scale-lr.
auto_scale_lr = dict(enable=False, base_batch_size=8)
