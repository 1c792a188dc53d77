import numpy as np
import torch
from mmengine.structures import InstanceData

from mmdet3d.registry import MODELS
from mmdet3d.structures import LiDARInstance3DBoxes
from projects.TurboTrain.turbotrain.models.voxel_encoders import ScatterPillarEncoder

torch.set_num_threads(1)
RANGE = [-4.0, -4.0, -2.0, 4.0, 4.0, 2.0]
VOXEL = [1.0, 1.0, 4.0]


def small_cloud(seed, num=60):
    rng = np.random.default_rng(seed)
    # clustered so that several pillars hold several points; a few points outside the range
    centres = rng.uniform(-3.5, 3.5, size=(6, 2))
    xy = centres[rng.integers(0, 6, num)] + rng.normal(0, 0.3, size=(num, 2))
    z = rng.uniform(-1.9, 1.9, size=(num, 1))
    cloud = np.concatenate([xy, z, rng.uniform(0, 1, size=(num, 1))], axis=1)
    cloud[:3, 0] = [5.0, -4.5, 4.0]  # outside (x_max is exclusive)
    return torch.tensor(cloud, dtype=torch.float32)


def encoder_with_known_norm():
    encoder = ScatterPillarEncoder(4, [5], VOXEL, RANGE).eval()
    torch.manual_seed(0)
    norm = encoder.norms[0]
    norm.running_mean.uniform_(-0.5, 0.5)
    norm.running_var.uniform_(0.5, 2.0)
    norm.weight.data.uniform_(0.5, 1.5)
    norm.bias.data.uniform_(-0.2, 0.2)
    return encoder


def loop_reference(encoder, cloud):
    """Independent per-pillar loop in numpy: same point features, Linear, BN (eval), ReLU, max."""
    weight = encoder.linears[0].weight.detach().double().numpy()
    norm = encoder.norms[0]
    scale = (norm.weight / torch.sqrt(norm.running_var + norm.eps)).detach().double().numpy()
    shift = (norm.bias - norm.running_mean * norm.weight / torch.sqrt(norm.running_var + norm.eps))
    shift = shift.detach().double().numpy()
    points = cloud.double().numpy()
    canvas = np.zeros((5, 8, 8))
    pillars = {}
    for p in points:
        if not (-4 <= p[0] < 4 and -4 <= p[1] < 4 and -2 <= p[2] < 2):
            continue
        pillars.setdefault((int(np.floor(p[1] + 4)), int(np.floor(p[0] + 4))), []).append(p)
    for (row, col), members in pillars.items():
        members = np.array(members)
        mean = members[:, :3].mean(0)
        centre = np.array([-4 + col + 0.5, -4 + row + 0.5, 0.0])
        feats = np.concatenate([members, members[:, :3] - mean, members[:, :3] - centre], axis=1)
        activated = np.maximum((feats @ weight.T) * scale + shift, 0.0)
        canvas[:, row, col] = activated.max(0)
    return canvas, pillars


def test_pillar_max_equals_independent_loop():
    encoder = encoder_with_known_norm()
    clouds = [small_cloud(0), torch.zeros(0, 4), small_cloud(1)]
    with torch.no_grad():
        canvas = encoder(clouds)
    assert canvas.shape == (3, 5, 8, 8)
    assert (canvas[1] == 0).all()
    for index in (0, 2):
        reference, pillars = loop_reference(encoder, clouds[index])
        assert len(pillars) > 5 and max(len(v) for v in pillars.values()) > 3
        np.testing.assert_allclose(canvas[index].double().numpy(), reference, atol=1e-5)


def test_two_layers_and_backward():
    encoder = ScatterPillarEncoder(4, [6, 7], VOXEL, RANGE)
    canvas = encoder([small_cloud(2), small_cloud(3)])
    assert canvas.shape == (2, 7, 8, 8)
    canvas.sum().backward()
    assert encoder.linears[0].weight.grad.abs().sum() > 0


def test_point_lands_in_the_cell_centerhead_uses_for_a_box_there():
    """Canvas orientation: a point at (x, y) occupies the flat BEV index CenterHead assigns a box at (x, y)."""
    point_cloud_range = [-51.2, -51.2, -5.0, 51.2, 51.2, 3.0]
    encoder = ScatterPillarEncoder(4, [4], [0.8, 0.8, 8.0], point_cloud_range).eval()
    head = MODELS.build(dict(
        type='NoVelocityCenterHead', in_channels=4,
        tasks=[dict(num_class=1, class_names=['vehicle'])],
        common_heads=dict(reg=(2, 2), height=(1, 2), dim=(3, 2), rot=(2, 2)),
        bbox_coder=dict(type='CenterPointBBoxCoder', pc_range=point_cloud_range[:2], out_size_factor=1,
                        voxel_size=[0.8, 0.8], post_center_range=point_cloud_range, code_size=7),
        separate_head=dict(type='SeparateHead', init_bias=-2.19, final_kernel=3),
        train_cfg=dict(grid_size=[128, 128, 1], voxel_size=[0.8, 0.8, 8.0], out_size_factor=1,
                       dense_reg=1, gaussian_overlap=0.1, max_objs=10, min_radius=2,
                       point_cloud_range=point_cloud_range)))
    for x, y in [(30.3, -12.9), (-7.7, 40.1), (0.1, 0.1)]:
        canvas = encoder([torch.tensor([[x, y, 0.0, 1.0]])])
        occupied = (canvas[0].abs().sum(0).flatten() > 0).nonzero().flatten().tolist()
        gt = InstanceData(bboxes_3d=LiDARInstance3DBoxes(torch.tensor([[x, y, -1.0, 4.0, 2.0, 1.5, 0.0]])),
                          labels_3d=torch.tensor([0]))
        _, _, inds, masks = head.get_targets_single(gt)
        assert masks[0][0] == 1
        assert occupied == [int(inds[0][0])]
