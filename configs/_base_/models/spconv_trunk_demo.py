# The sparse-conv backbone swap of the CPU demo trunk, as variables (no `model` key): a child lists this file after
# its parent in `_base_` and sets `model = dict(trunk={{_base_.spconv_trunk}})`. Used by demo_finetune_spconv.py
# and demo_pretrain_spconv.py, so their trunks cannot drift apart.
#   0.25×0.25×0.5 m voxels over ±32 m (sparse grid 25×256×256) → HardSimpleVFE → SparseEncoder (3 stages, BEV
#   stride 4, height compression: 8 ch × 2 z-cells = 16 ch at 64×64) → SECOND strides [1, 2]
voxel_range = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]  # = the demo dataset / model point_cloud_range
voxel_size = [0.25, 0.25, 0.5]
# mmdet3d order [z, y, x]: the voxel grid is 24×256×256; one spare z layer as in mmdet3d's SECOND configs.
sparse_shape = [25, 256, 256]
sparse_out_channels = 8  # × 2 compressed z-cells = 16 BEV channels, the pillar demo's canvas depth

spconv_trunk = dict(
    bev_encoder=dict(
        _delete_=True,
        type='VoxelBEVEncoder',
        voxel_layer=dict(voxel_size=voxel_size, point_cloud_range=voxel_range, max_num_points=5,
                         max_voxels=(30000, 30000)),
        voxel_encoder=dict(type='HardSimpleVFE', num_features=4),
        middle_encoder=dict(type='SparseEncoder', in_channels=4, sparse_shape=sparse_shape,
                            order=('conv', 'norm', 'act'), base_channels=8,
                            output_channels=sparse_out_channels,
                            encoder_channels=((8, ), (16, 16), (16, 16)),
                            encoder_paddings=((1, ), (1, 1), ((0, 1, 1), 1)))),
    backbone=dict(in_channels=2 * sparse_out_channels, layer_strides=[1, 2]))
