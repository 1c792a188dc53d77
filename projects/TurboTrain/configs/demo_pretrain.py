# CPU demo of the masked pretraining: demo_finetune.py's small trunk, synthetic demo data.
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain.py
_base_ = ['./pretrain.py']

data_root = 'data/v2xpnp_synth/'
point_cloud_range = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]  # demo_finetune.py's range and pillars
pillar_size = [0.5, 0.5, 12.0]
bev_channels = 32
max_epochs = 2
lr = 2e-3

# The same trunk as demo_finetune.py (a test checks that the two stay equal).
model = dict(
    trunk=dict(
        bev_encoder=dict(feat_channels=[16], voxel_size=pillar_size, point_cloud_range=point_cloud_range),
        backbone=dict(in_channels=16, out_channels=[16, 32], layer_nums=[1, 2], layer_strides=[2, 2]),
        neck=dict(in_channels=[16, 32], out_channels=[16, 16], upsample_strides=[1, 2]),
        agent_type_embedding=dict(channels=bev_channels),
        # at 32 channels the frames are stacked unreduced (the base config's 64/128 reduction is for 384 channels)
        fusion_neck=dict(point_cloud_range=point_cloud_range,
                         temporal_fusion=dict(channels=bev_channels, reduce_channels=None, hidden_channels=None),
                         spatial_fusion=dict(channels=bev_channels))),
    masking=dict(point_cloud_range=point_cloud_range, column_size=(pillar_size[0] * 2, pillar_size[1] * 2)),
    target_builder=dict(point_cloud_range=point_cloud_range),
    recon_head=dict(in_channels=bev_channels, feat_channels=64, point_cloud_range=point_cloud_range))

pretrain_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
# pretraining reads no labels anywhere: the inherited (labelled, full-range) pipeline variables are replaced too
train_pipeline = test_pipeline = eval_pipeline = pretrain_pipeline

train_dataloader = dict(batch_size=2, num_workers=1, dataset=dict(data_root=data_root, pipeline=pretrain_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root, pipeline=pretrain_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=20))
custom_hooks = [
    dict(type='MAEPretrainHook', mask_ratio_schedule=None, val_interval=100, num_val_batches=2, vis_interval=100,
         export_filename='trunk_pretrained.pth')
]
