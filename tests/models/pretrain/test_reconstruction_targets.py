import math

import torch

from projects.TurboTrain.turbotrain.models.pretrain import ReconstructionTargetBuilder

RANGE = [-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]  # ego grid 20 × 20 cells of 0.8 m, z_mid = -1


def hand_case():
    """One sample, ego + one cooperator, H = 2. Cooperator at t = 1: yaw 90°, at (1.6, 0) in the ego frame, so an
    agent point (x, y) lands at ego (1.6 - y, x)."""
    poses = torch.eye(4).repeat(1, 2, 2, 1, 1)
    poses[0, 1, 1] = torch.tensor([[0.0, -1.0, 0.0, 1.6], [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0],
                                   [0.0, 0.0, 0.0, 1.0]])
    history = torch.tensor([[5.0, 5.0, -1.0, 0.0]])  # t = 0 clouds are not targets
    ego_now = torch.tensor([[0.1, 0.1, -1.0, 0.0], [0.3, 0.2, -1.0, 0.0], [2.0, 2.0, -1.0, 0.0]])
    coop_now = torch.tensor([[0.2, 1.5, -0.5, 0.0], [1.0, -1.0, -2.0, 0.0], [0.0, -7.0, -1.0, 0.0]])
    points = [history, ego_now, history, coop_now]  # order (a, t)
    masked = [torch.tensor([True]), torch.tensor([True, False, False]), torch.tensor([True]),
              torch.tensor([True, True, False])]
    return points, masked, poses, torch.ones(1, 2, 2, dtype=torch.bool)


def test_targets_hand_computed():
    points, masked, poses, valid = hand_case()
    targets = ReconstructionTargetBuilder(RANGE, max_points_per_cell=64)(points, masked, poses, valid, (20, 20))
    assert targets.cell_size == (0.8, 0.8) and targets.z_mid == -1.0
    # ego-frame points: (0.1,0.1) (0.3,0.2) -> cell (iy,ix)=(10,10); (2.0,2.0) -> (12,12);
    # coop (0.2,1.5,-0.5) -> ego (0.1,0.2,-0.5) -> (10,10); (1,-1,-2) -> ego (2.6,1.0,-2) -> (11,13);
    # coop (0,-7) -> ego (8.6, 0) outside the range.
    assert sorted(map(tuple, targets.occupancy[0].nonzero().tolist())) == [(10, 10), (11, 13), (12, 12)]
    # supervised = cells holding a masked current-frame point: (10,10) (ego point 0, coop point 0) and (11,13)
    assert targets.cell_index.tolist() == [[0, 10, 10], [0, 11, 13]]
    assert torch.equal(targets.supervised, torch.zeros_like(targets.supervised).index_put_(
        (torch.tensor([0, 0]), torch.tensor([10, 11]), torch.tensor([10, 13])), torch.tensor(True)))
    # offsets from (x_c, y_c, z_mid): cell (10,10) centre (0.4, 0.4); cell (11,13) centre (2.8, 1.2)
    expected = torch.tensor([[[-0.3, -0.3, 0.0], [-0.1, -0.2, 0.0], [-0.3, -0.2, 0.5]],
                             [[-0.2, -0.2, -1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    assert torch.allclose(targets.cell_points, expected, atol=1e-5)
    assert targets.cell_point_valid.tolist() == [[True, True, True], [True, False, False]]
    assert torch.allclose(targets.cell_centres(), torch.tensor([[0.4, 0.4, -1.0], [2.8, 1.2, -1.0]]), atol=1e-5)
    assert targets.current_points[0].shape == (5, 3)
    assert targets.current_point_masked[0].tolist() == [True, False, False, True, True]


def test_targets_cap_and_invalid_agent():
    points, masked, poses, valid = hand_case()
    capped = ReconstructionTargetBuilder(RANGE, max_points_per_cell=2)(points, masked, poses, valid, (20, 20))
    assert capped.cell_points.shape == (2, 2, 3)
    # without a generator the first points in input order (ego first) are kept
    assert torch.allclose(capped.cell_points[0], torch.tensor([[-0.3, -0.3, 0.0], [-0.1, -0.2, 0.0]]), atol=1e-5)
    # with a generator: a subset of size 2 of the three points of cell (10, 10)
    builder = ReconstructionTargetBuilder(RANGE, max_points_per_cell=2)
    rand = builder(points, masked, poses, valid, (20, 20), generator=torch.Generator().manual_seed(0))
    full = {(-0.3, -0.3, 0.0), (-0.1, -0.2, 0.0), (-0.3, -0.2, 0.5)}
    got = {tuple(round(v, 4) for v in p) for p in rand.cell_points[0].tolist()}
    assert len(got) == 2 and got <= full
    # cooperator's current frame missing: its points are neither targets nor supervision
    valid[0, 1, 1] = False
    ego_only = ReconstructionTargetBuilder(RANGE)(points, masked, poses, valid, (20, 20))
    assert ego_only.cell_index.tolist() == [[0, 10, 10]]
    assert ego_only.cell_point_valid.sum().item() == 2
    assert int(ego_only.occupancy.sum()) == 2


def test_targets_on_coarser_grid_and_empty():
    points, masked, poses, valid = hand_case()
    targets = ReconstructionTargetBuilder(RANGE)(points, masked, poses, valid, (10, 10))  # 1.6 m cells
    assert targets.cell_size == (1.6, 1.6)
    # ego (0.1,0.1),(0.3,0.2),(0.1,0.2) -> (5,5); (2.6,1.0) -> ix floor(10.6/1.6)=6, iy floor(9/1.6)=5
    assert targets.cell_index.tolist() == [[0, 5, 5], [0, 5, 6]]
    none_masked = [torch.zeros_like(m) for m in masked]
    empty = ReconstructionTargetBuilder(RANGE)(points, none_masked, poses, valid, (20, 20))
    assert empty.cell_index.shape == (0, 3) and empty.cell_points.shape[0] == 0
    assert int(empty.occupancy.sum()) == 3
    assert math.isclose(float(empty.supervised.sum()), 0.0)
