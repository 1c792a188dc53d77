# CPU demo: the fine-tune model with a small trunk, trained on synthetic demo data on 2 CPU cores in minutes.
#   python tools/make_synthetic_v2xpnp.py --out data/v2xpnp_synth --scenarios 10 --seed 0 --split-fractions 0.7 0.1 0.2
#   python tools/create_data.py v2xpnp --root-path data/v2xpnp_synth --out-dir data/v2xpnp_synth
#   python tools/train.py projects/TurboTrain/configs/demo_finetune.py
#
# Sized so that it learns on a CPU budget: a ±32 m BEV range (the full configs: ±51.2 m) with 0.5 m pillars gives a
# 128×128 canvas and 1.0 m output cells. The full range at the same cost (0.8 m pillars, 1.6 m cells) learned far
# less detection in the same epochs (the demo-sizing study in docs/experiments/).
_base_ = ['./finetune.py']

data_root = 'data/v2xpnp_synth/'
point_cloud_range = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]  # in every agent's own frame and in the ego frame
post_center_range = [-40.0, -40.0, -10.0, 40.0, 40.0, 10.0]
pillar_size = [0.5, 0.5, 12.0]
pillar_grid = [128, 128, 1]
bev_channels = 32
max_epochs = 6
lr = 2e-3

# The base pipelines at the demo range (a config's variables are resolved where they are written, so the base's
# lists keep ±51.2 m): the test pipeline, + labels = the eval pipeline, + augmentation = the train pipeline.
test_pipeline = [
    dict(type='LoadCoopPoints'),
    dict(type='CoopPointsRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='CoopObjectRangeFilter', point_cloud_range=point_cloud_range),
    dict(type='PackCoopInputs', point_cloud_range=point_cloud_range),
]
eval_pipeline = test_pipeline[:1] + [dict(type='LoadCoopAnnotations')] + test_pipeline[1:]
train_pipeline = eval_pipeline[:3] + [
    dict(type='CoopRandomFlip', flip_ratio_bev_horizontal=0.5, flip_ratio_bev_vertical=0.0),
    dict(type='CoopGlobalRotScaleTrans', rot_range=[-0.78539816, 0.78539816], scale_ratio_range=[0.95, 1.05],
         translation_std=[0.0, 0.0, 0.0]),
] + eval_pipeline[3:]

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
    bbox_head=dict(in_channels=bev_channels, share_conv_channel=32,
                   bbox_coder=dict(voxel_size=pillar_size[:2], pc_range=point_cloud_range[:2],
                                   post_center_range=post_center_range)),
    traj_head=dict(in_channels=bev_channels, feat_channels=32, num_convs=1, point_cloud_range=point_cloud_range),
    train_cfg=dict(det=dict(grid_size=pillar_grid, voxel_size=pillar_size, point_cloud_range=point_cloud_range)),
    test_cfg=dict(det=dict(voxel_size=pillar_size[:2], pc_range=point_cloud_range[:2],
                           post_center_limit_range=post_center_range)))

train_dataloader = dict(batch_size=2, num_workers=1, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root, pipeline=test_pipeline))

optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=20))
