# Multi-agent spatiotemporal masked pretraining of the cooperative trunk (no labels are read).
#   tools/dist_train.sh projects/TurboTrain/configs/pretrain.py 8
# The trunk is the fine-tune config's trunk, so `trunk.*` keys match; at the end MAEPretrainHook writes
# <work_dir>/trunk_pretrained.pth, which finetune_from_pretrain.py loads.
_base_ = ['./finetune.py']

point_cloud_range = [-51.2, -51.2, -8.0, 51.2, 51.2, 4.0]
bev_channels = 384
mask_column_size = (0.8, 0.8)  # one column = one cell of the trunk's output map (pillar 0.4 m × stride 2)

model = dict(
    _delete_=True,
    type='CoopMAE',
    data_preprocessor=dict(type='CoopDataPreprocessor'),
    trunk={{_base_.model.trunk}},
    masking=dict(type='BEVColumnMasking', point_cloud_range=point_cloud_range, column_size=mask_column_size,
                 ratio=0.7, seed=0),
    target_builder=dict(type='ReconstructionTargetBuilder', point_cloud_range=point_cloud_range,
                        max_points_per_cell=64),
    recon_head=dict(type='BEVReconstructionHead', in_channels=bev_channels, feat_channels=128, num_points=20,
                    point_cloud_range=point_cloud_range),
    loss_chamfer=dict(type='ChamferLoss', loss_weight=1.0),
    loss_occupancy=dict(type='OccupancyLoss', loss_weight=1.0),
    val_seed=0,
    val_mask_ratio=0.7)

# Label-free pipeline: points only (LoadCoopAnnotations is absent and the dataset never reads objects).
pretrain_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
train_dataloader = dict(dataset=dict(load_labels=False, pipeline=pretrain_pipeline))
val_dataloader = dict(dataset=dict(load_labels=False, pipeline=pretrain_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='ReconstructionMetric')
test_evaluator = val_evaluator

max_epochs = 15
lr = 2e-3
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(save_best=None))
custom_hooks = [
    dict(type='MAEPretrainHook', mask_ratio_schedule=None, val_interval=500, num_val_batches=4, vis_interval=500,
         export_filename='trunk_pretrained.pth')
]
