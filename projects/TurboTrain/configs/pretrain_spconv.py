# Backbone swap for the masked pretraining: pretrain.py with finetune_spconv.py's sparse-conv trunk.
#   tools/dist_train.sh projects/TurboTrain/configs/pretrain_spconv.py 8
# BEV-column masking drops points before the encoder, so it masks voxels exactly as it masks pillars; the trunk's
# output grid (128×128, 0.8 m cells) is the pillar trunk's, so the mask column size and the reconstruction head
# are pretrain.py's. MAEPretrainHook exports <work_dir>/trunk_pretrained.pth, which
# finetune_spconv_from_pretrain.py loads (a test keeps this trunk equal to finetune_spconv.py's).
_base_ = ['./pretrain.py']

voxel_range = [-51.2, -51.2, -8.0, 51.2, 51.2, 4.0]
voxel_size = [0.1, 0.1, 0.3]
sparse_shape = [41, 1024, 1024]
sparse_out_channels = 128

model = dict(
    trunk=dict(
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
        backbone=dict(in_channels=2 * sparse_out_channels, layer_strides=[1, 2, 2])))
