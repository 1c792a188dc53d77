# V2XPnP-style cooperative perception-and-prediction model, full (GPU) size, pillar encoder.
# Trunk = every parameter shared by detection, prediction and pretraining (model.trunk).
# bev_range must equal the dataset point_cloud_range; the BEV grid covers it in every agent's own frame and in the
# ego frame at t0.
bev_range = [-51.2, -51.2, -8.0, 51.2, 51.2, 4.0]
pillar_size = [0.4, 0.4, 12.0]  # one pillar spans the whole z range
pillar_grid = [256, 256, 1]
out_size_factor = 2  # BEV map stride of the fused features relative to the pillar grid
det_classes = ['vehicle', 'pedestrian', 'truck']
num_history = 3
num_future = 10
bev_channels = 384
post_center_range = [-61.2, -61.2, -10.0, 61.2, 61.2, 10.0]

model = dict(
    type='CoopPnPDetector',
    data_preprocessor=dict(type='CoopDataPreprocessor'),
    trunk=dict(
        type='CoopTrunk',
        bev_encoder=dict(type='ScatterPillarEncoder', in_channels=4, feat_channels=[64],
                         voxel_size=pillar_size, point_cloud_range=bev_range),
        backbone=dict(type='SECOND', in_channels=64, out_channels=[64, 128, 256], layer_nums=[3, 5, 5],
                      layer_strides=[2, 2, 2]),
        neck=dict(type='SECONDFPN', in_channels=[64, 128, 256], out_channels=[128, 128, 128],
                  upsample_strides=[1, 2, 4]),
        agent_type_embedding=dict(type='AgentTypeEmbedding', channels=bev_channels),
        fusion_neck=dict(
            type='CoopFusionNeck', point_cloud_range=bev_range,
            # motion-aware: history frames stacked by age and convolved; each frame reduced to 64 channels first
            # (at 384 channels unreduced: 87 G multiply-adds per agent, 4.5x the per-cell attention; reduced: 12 G)
            temporal_fusion=dict(type='TemporalConvFusion', channels=bev_channels, max_history=num_history,
                                 reduce_channels=64, hidden_channels=128),
            spatial_fusion=dict(type='AgentAttentionFusion', channels=bev_channels))),
    bbox_head=dict(
        type='NoVelocityCenterHead', in_channels=bev_channels,
        tasks=[dict(num_class=len(det_classes), class_names=det_classes)],
        common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2)),
        share_conv_channel=64,
        bbox_coder=dict(type='CenterPointBBoxCoder', pc_range=bev_range[:2],
                        post_center_range=post_center_range, max_num=200, score_threshold=0.1,
                        out_size_factor=out_size_factor, voxel_size=pillar_size[:2], code_size=7),
        separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
        loss_cls=dict(type='mmdet.GaussianFocalLoss', reduction='mean'),
        loss_bbox=dict(type='mmdet.L1Loss', reduction='mean', loss_weight=0.25),
        norm_bbox=True),
    traj_head=dict(type='TrajectoryHead', in_channels=bev_channels, num_future=num_future,
                   point_cloud_range=bev_range, feat_channels=64, num_convs=2),
    train_cfg=dict(det=dict(grid_size=pillar_grid, voxel_size=pillar_size, out_size_factor=out_size_factor,
                            dense_reg=1, gaussian_overlap=0.1, max_objs=200, min_radius=2,
                            code_weights=[1.0] * 8, point_cloud_range=bev_range)),
    test_cfg=dict(det=dict(post_center_limit_range=post_center_range, max_per_img=200, max_pool_nms=False,
                           min_radius=[4.0], score_threshold=0.1, out_size_factor=out_size_factor,
                           voxel_size=pillar_size[:2], nms_type='circle', pre_max_size=1000,
                           post_max_size=200, nms_thr=0.2, pc_range=bev_range[:2])))
