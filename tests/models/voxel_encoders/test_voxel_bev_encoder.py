import torch

from mmdet3d.registry import MODELS
from tests.models.voxel_encoders.test_scatter_pillar_encoder import RANGE, VOXEL, small_cloud

torch.set_num_threads(1)


def build(middle='pillars'):
    return MODELS.build(dict(
        type='VoxelBEVEncoder',
        voxel_layer=dict(voxel_size=VOXEL, point_cloud_range=RANGE, max_num_points=32,
                         max_voxels=(1000, 1000)),
        voxel_encoder=dict(type='PillarFeatureNet', in_channels=4, feat_channels=[6], with_distance=False,
                           voxel_size=VOXEL, point_cloud_range=RANGE),
        middle_encoder=dict(type='PointPillarsScatter', in_channels=6, output_shape=[8, 8])))


def test_same_interface_and_occupancy_as_scatter_encoder():
    clouds = [small_cloud(0), torch.zeros(0, 4), small_cloud(1)]
    encoder = build().eval()
    canvas = encoder(clouds)
    scatter = MODELS.build(dict(type='ScatterPillarEncoder', in_channels=4, feat_channels=[6],
                                voxel_size=VOXEL, point_cloud_range=RANGE)).eval()
    reference = scatter(clouds)
    assert canvas.shape == reference.shape == (3, 6, 8, 8)
    # same occupied pillars, same orientation (rows = y, cols = x)
    assert torch.equal(canvas.abs().sum(1) > 0, reference.abs().sum(1) > 0)
    encoder.train()
    encoder(clouds).sum().backward()


def test_sparse_encoder_swap_runs_on_cpu():
    """HardSimpleVFE + SparseEncoder (the SECOND swap) through the same interface: (N, C·D, H/8, W/8)."""
    encoder = MODELS.build(dict(
        type='VoxelBEVEncoder',
        voxel_layer=dict(voxel_size=[0.25, 0.25, 0.1], point_cloud_range=RANGE, max_num_points=5,
                         max_voxels=(4000, 4000)),
        voxel_encoder=dict(type='HardSimpleVFE', num_features=4),
        middle_encoder=dict(type='SparseEncoder', in_channels=4, sparse_shape=[41, 32, 32],
                            order=('conv', 'norm', 'act'), base_channels=8, output_channels=16,
                            encoder_channels=((8, ), (16, 16), (16, 16), (16, 16)),
                            encoder_paddings=((1, ), (1, 1), (1, 1), ((0, 1, 1), 1)))))
    canvas = encoder([small_cloud(0), torch.zeros(0, 4), small_cloud(1)])
    assert canvas.shape == (3, 32, 4, 4)
    assert (canvas[1] == 0).all() and canvas[0].abs().sum() > 0
    canvas.sum().backward()
