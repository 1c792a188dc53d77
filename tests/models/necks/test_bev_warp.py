import math

import torch

from projects.TurboTrain.turbotrain.models.necks import BEVWarp
from tests.models.coop_fakes import planar_pose

torch.set_num_threads(1)


def test_identity_pose_keeps_map():
    warp = BEVWarp([-8, -8, -3, 8, 8, 1])
    features = torch.randn(2, 3, 16, 16)
    warped, valid = warp(features, torch.eye(4).repeat(2, 1, 1))
    assert torch.allclose(warped, features, atol=1e-5)
    assert valid.all()


def test_translated_and_rotated_agent_lands_in_hand_computed_cell():
    # 1 m cells over ±16 m: agent at +10 m in x, rotated +90°. An agent cell centre (5.5, 0.5) (row 16, col 21)
    # is at R·p + t = (-0.5, 5.5) + (10, 0) = (9.5, 5.5) in the ego frame: row 21, col 25.
    warp = BEVWarp([-16, -16, -3, 16, 16, 1])
    features = torch.zeros(1, 1, 32, 32)
    features[0, 0, 16, 21] = 1.0
    warped, valid = warp(features, planar_pose(10.0, 0.0, math.pi / 2)[None])
    assert torch.isclose(warped[0, 0, 21, 25], torch.tensor(1.0), atol=1e-5)
    assert torch.isclose(warped.sum(), torch.tensor(1.0), atol=1e-5)
    # the agent's map covers ego x in [-6, 26]: cell centres x = -15.5 + col are inside from col 10 on
    assert not valid[0, :, :10].any() and valid[0, :, 10:].all()


def test_non_square_range_uses_rows_for_y_and_cols_for_x():
    # x in [-20, 20] (40 cols), y in [-10, 10] (20 rows), 1 m cells. Agent at (3, -2), rotated +90°.
    # agent point (4.5, 2.5) = agent cell (row 12, col 24) -> ego (-2.5 + 3, 4.5 - 2) = (0.5, 2.5): row 12, col 20.
    warp = BEVWarp([-20, -10, -3, 20, 10, 1])
    features = torch.zeros(1, 2, 20, 40)
    features[0, :, 12, 24] = torch.tensor([1.0, 2.0])
    warped, _ = warp(features, planar_pose(3.0, -2.0, math.pi / 2)[None])
    assert torch.allclose(warped[0, :, 12, 20], torch.tensor([1.0, 2.0]), atol=1e-5)
    assert torch.isclose(warped.abs().sum(), torch.tensor(3.0), atol=1e-5)


def test_half_cell_shift_is_bilinear_and_differentiable():
    warp = BEVWarp([-4, -4, -3, 4, 4, 1])
    features = torch.zeros(1, 1, 8, 8)
    features[0, 0, 4, 4] = 1.0
    features.requires_grad_(True)
    # agent frame shifted +0.5 m in x: its cell (row 4, col 4) centre x = 0.5 is at ego x = 1.0 (a cell edge)
    warped, _ = warp(features, planar_pose(0.5, 0.0, 0.0)[None])
    assert torch.allclose(warped[0, 0, 4, 4:6], torch.tensor([0.5, 0.5]), atol=1e-5)
    warped.sum().backward()
    assert features.grad[0, 0, 4, 4] > 0


def test_scaled_and_flipped_pose_from_augmentation():
    # Augmentation makes M = A·M_agent a similarity: scale 2 and a flip of y (det < 0) here, plus a translation.
    # The ego cell centre (x_e, y_e) must read the agent map at M⁻¹ (x_e, y_e).
    pose = torch.tensor([[2.0, 0.0, 0.0, 3.0], [0.0, -2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    warp = BEVWarp([-16, -16, -3, 16, 16, 1], mode='nearest')
    cols = torch.arange(32, dtype=torch.float32)
    # agent feature = its own x coordinate of the cell centre (a ramp along the columns)
    features = (cols - 15.5).expand(32, 32).clone()[None, None]
    warped, valid = warp(features, pose[None])
    # ego cell (row 16, col 25): centre (9.5, 0.5) → agent (x, y) = ((9.5 - 3) / 2, 0.5 / -2) = (3.25, -0.25):
    # nearest agent cell centre in x is 3.5 (the ramp value there). A rigid (transpose) inverse would read
    # x = 2·(9.5 - 3) = 13 instead.
    assert valid[0, 16, 25]
    assert warped[0, 0, 16, 25] == 3.5
