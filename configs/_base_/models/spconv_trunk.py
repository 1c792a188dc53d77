# The sparse-conv backbone swap of the full-size trunk, as variables (no `model` key): a child lists this file after
# its parent in `_base_` and sets `model = dict(trunk={{_base_.spconv_trunk}})`. Used by finetune_spconv.py and
# pretrain_spconv.py, so their trunks cannot drift apart.
#   0.1×0.1×0.3 m voxels (sparse grid 41×1024×1024) → HardSimpleVFE → SparseEncoder (4 stages, BEV stride 8,
#   height compression: 128 ch × 2 z-cells = 256 ch at 128×128) → SECOND strides [1, 2, 2]
voxel_range = [-51.2, -51.2, -8.0, 51.2, 51.2, 4.0]  # = the dataset / model point_cloud_range
voxel_size = [0.1, 0.1, 0.3]
# mmdet3d order [z, y, x]: the voxel grid is 40×1024×1024; one spare z layer as in mmdet3d's SECOND configs.
sparse_shape = [41, 1024, 1024]
sparse_out_channels = 128  # × 2 compressed z-cells = 256 BEV channels

spconv_trunk = dict(
    bev_encoder=dict(
        _delete_=True,
        type='VoxelBEVEncoder',
        voxel_layer=dict(voxel_size=voxel_size, point_cloud_range=voxel_range, max_num_points=10,
                         max_voxels=(90000, 120000)),
        voxel_encoder=dict(type='HardSimpleVFE', num_features=4),
        middle_encoder=dict(type='SparseEncoder', in_channels=4, sparse_shape=sparse_shape,
                            order=('conv', 'norm', 'act'), base_channels=16,
                            output_channels=sparse_out_channels,
                            encoder_channels=((16, ), (32, 32, 32), (64, 64, 64), (64, 64, 64)),
                            encoder_paddings=((1, ), (1, 1, 1), (1, 1, 1), ((0, 1, 1), 1, 1)))),
    backbone=dict(in_channels=2 * sparse_out_channels, layer_strides=[1, 2, 2]))
