# CPU demo of the masked pretraining with the sparse-conv trunk: demo_pretrain.py with demo_finetune_spconv.py's
# backbone swap (a test keeps the two trunks equal).
#   python tools/train.py projects/TurboTrain/configs/demo_pretrain_spconv.py --work-dir work_dirs/demo_pretrain_spconv
# Masking drops points by BEV column before the encoder, so it works unchanged for voxels; the trunk's output grid
# is the pillar demo's 64×64, so the mask column size (one output cell) and the reconstruction head are unchanged.
_base_ = ['./demo_pretrain.py']

voxel_range = [-32.0, -32.0, -8.0, 32.0, 32.0, 4.0]
voxel_size = [0.25, 0.25, 0.5]
sparse_shape = [25, 256, 256]
sparse_out_channels = 8

model = dict(
    trunk=dict(
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
        backbone=dict(in_channels=2 * sparse_out_channels, layer_strides=[1, 2])))
