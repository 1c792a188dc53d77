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
