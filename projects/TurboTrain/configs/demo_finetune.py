# CPU demo: the fine-tune model with a small trunk, trained on synthetic demo data on 2 CPU cores in minutes.
#   python tools/make_synthetic_v2xpnp.py --out data/v2xpnp_synth --scenarios 6 --seed 0
#   python tools/create_data.py v2xpnp --root-path data/v2xpnp_synth --out-dir data/v2xpnp_synth
#   python tools/train.py projects/TurboTrain/configs/demo_finetune.py
_base_ = ['./finetune.py']

data_root = 'data/v2xpnp_synth/'
pillar_size = [0.8, 0.8, 12.0]  # the range stays the base's ±51.2 m
pillar_grid = [128, 128, 1]
bev_channels = 32
max_epochs = 6
lr = 2e-3

model = dict(
    trunk=dict(
        bev_encoder=dict(feat_channels=[16], voxel_size=pillar_size),
        backbone=dict(in_channels=16, out_channels=[16, 32], layer_nums=[1, 2], layer_strides=[2, 2]),
        neck=dict(in_channels=[16, 32], out_channels=[16, 16], upsample_strides=[1, 2]),
        agent_type_embedding=dict(channels=bev_channels),
        fusion_neck=dict(temporal_fusion=dict(channels=bev_channels),
                         spatial_fusion=dict(channels=bev_channels))),
    bbox_head=dict(in_channels=bev_channels, share_conv_channel=32,
                   bbox_coder=dict(voxel_size=pillar_size[:2])),
    traj_head=dict(in_channels=bev_channels, feat_channels=32, num_convs=1),
    train_cfg=dict(det=dict(grid_size=pillar_grid, voxel_size=pillar_size)),
    test_cfg=dict(det=dict(voxel_size=pillar_size[:2])))

train_dataloader = dict(batch_size=2, num_workers=1, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))

optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=lr * 1e-2, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=20))
