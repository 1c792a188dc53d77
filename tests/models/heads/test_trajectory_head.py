import torch
from mmengine.structures import InstanceData

from mmdet3d.registry import MODELS
from mmdet3d.structures import LiDARInstance3DBoxes

from ._samples import sample_with

torch.set_num_threads(1)
RANGE = [-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]


def constant_head(offsets):
    """Head whose output is the same offsets (F, 2) in every cell."""
    head = MODELS.build(dict(type='TrajectoryHead', in_channels=2, num_future=len(offsets),
                             point_cloud_range=RANGE, feat_channels=4, num_convs=1,
                             loss_traj=dict(type='mmdet.L1Loss', loss_weight=1.0)))
    head.out_conv.bias.data = torch.tensor(offsets, dtype=torch.float32).flatten()
    return head.eval()


def test_loss_only_at_valid_steps_with_hand_computed_value():
    head = constant_head([[1.0, 0.0], [2.0, 0.0]])
    sample = sample_with([[1.0, 1.0], [-3.0, 2.0]],
                         future=[[[2.0, 1.0], [3.0, 1.0]],  # exact: offsets (1, 0), (2, 0)
                                 [[-3.0, 2.0], [50.0, 50.0]]],  # step 0 off by (1, 0); step 1 masked
                         mask=[[True, True], [True, False]])
    loss = head.loss(torch.zeros(1, 2, 8, 8), [sample])['loss_traj']
    # |error| summed over valid coordinates = 1, averaged over 6 valid coordinates
    assert torch.isclose(loss, torch.tensor(1.0 / 6.0), atol=1e-6)


def test_predict_attaches_absolute_waypoints_from_the_centre_cell():
    head = MODELS.build(dict(type='TrajectoryHead', in_channels=2, num_future=2, point_cloud_range=RANGE,
                             num_convs=0))
    # identity-like map: the output at each cell encodes the cell's (col, row)
    head.out_conv.weight.data.zero_()
    head.out_conv.weight.data[0, 0] = 1.0
    head.out_conv.weight.data[1, 1] = 1.0
    rows, cols = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing='ij')
    bev = torch.stack([cols, rows])[None]
    results = InstanceData()
    boxes = torch.tensor([[2.5, -5.0, 0.0, 1.0, 1.0, 1.0, 0.0]])  # 2 m cells: col 5, row 1
    results.bboxes_3d = LiDARInstance3DBoxes(boxes)
    head.predict(bev, [results])
    assert results.trajs.shape == (1, 2, 2)
    assert torch.allclose(results.trajs[0, 0], torch.tensor([2.5 + 5, -5.0 + 1]))
    assert torch.allclose(results.trajs[0, 1], torch.tensor([2.5, -5.0]))
