import torch
from mmengine.structures import InstanceData

from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes

from ._samples import sample_with

torch.set_num_threads(1)
RANGE = [-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]


def constant_head(velocity, residual=None, num_future=2):
    """Head whose output is the same velocity (2,) and residual (F, 2) in every cell (None: no residual)."""
    head = MODELS.build(dict(type='MotionTrajectoryHead', in_channels=2, num_future=num_future,
                             point_cloud_range=RANGE, feat_channels=4, num_convs=1, residual=residual is not None,
                             loss_vel=dict(type='mmdet.L1Loss', loss_weight=1.0),
                             loss_traj=dict(type='mmdet.L1Loss', loss_weight=1.0)))
    bias = [velocity] + ([] if residual is None else list(residual))
    head.out_conv.bias.data = torch.tensor(bias, dtype=torch.float32).flatten()
    return head.eval()


def test_predict_is_constant_velocity_plus_residual():
    head = constant_head([1.0, -0.5], residual=[[0.1, 0.0], [0.0, 0.2]])
    results = InstanceData()
    results.bboxes_3d = LiDARInstance3DBoxes(torch.tensor([[2.5, -5.0, 0.0, 1.0, 1.0, 1.0, 0.0]]))
    head.predict(torch.zeros(1, 2, 8, 8), [results])
    assert torch.allclose(results.velocities, torch.tensor([[1.0, -0.5]]))
    # k = 1: (2.5 + 1, -5 - 0.5) + (0.1, 0); k = 2: (2.5 + 2, -5 - 1) + (0, 0.2)
    assert torch.allclose(results.trajs[0], torch.tensor([[3.6, -5.5], [4.5, -5.8]]))


def test_without_residual_trajectories_are_the_constant_velocity_extrapolation():
    head = constant_head([0.5, 0.0], num_future=3)
    results = InstanceData()
    results.bboxes_3d = LiDARInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0]]))
    head.predict(torch.zeros(1, 2, 8, 8), [results])
    assert torch.allclose(results.trajs[0], torch.tensor([[1.5, 1.0], [2.0, 1.0], [2.5, 1.0]]))
    sample = sample_with([[1.0, 1.0]], [[[1.5, 1.0]] * 3], [[True] * 3], [[[1.0, 1.0]] * 3], [[True] * 3])
    assert set(head.loss(torch.zeros(1, 2, 8, 8), [sample])) == {'loss_vel'}


def test_losses_by_hand_and_residual_target_uses_the_detached_velocity():
    # object at (1, 1) moving +1 m/step along x, future step 2 missing; the head says v = (0.5, 0), residual
    # (0.5, 0) at k=1 and (9, 9) at k=2 (masked, must not count)
    head = constant_head([0.5, 0.0], residual=[[0.5, 0.0], [9.0, 9.0]])
    head.train()
    sample = sample_with([[1.0, 1.0]], [[[2.0, 1.0], [50.0, 50.0]]], [[True, False]],
                         [[[-1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]], [[True, True, True]])
    losses = head.loss(torch.zeros(1, 2, 8, 8), [sample])
    # velocity target: only k = 1 valid -> v = (1, 0); L1 |0.5 - 1| + |0 - 0| over 2 coordinates
    assert torch.isclose(losses['loss_vel'], torch.tensor(0.25))
    # waypoint k=1: (1, 1) + 1 * (0.5, 0) + (0.5, 0) = (2, 1) = target: zero error
    assert torch.isclose(losses['loss_traj'], torch.tensor(0.0))
    head.zero_grad()
    losses['loss_traj'].backward()
    assert head.out_conv.bias.grad[:2].abs().sum() == 0  # no waypoint gradient reaches the velocity


def test_no_ground_truth_gives_zero_losses():
    head = constant_head([0.5, 0.0], residual=[[0.0, 0.0]], num_future=1)
    sample = Det3DDataSample()
    sample.gt_instances_3d = InstanceData()
    losses = head.loss(torch.zeros(1, 2, 8, 8), [sample])
    assert losses['loss_vel'] == 0 and losses['loss_traj'] == 0


def test_multi_modal_winner_takes_all_and_most_likely_mode_by_hand():
    head = MODELS.build(dict(type='MotionTrajectoryHead', in_channels=2, num_future=1, point_cloud_range=RANGE,
                             num_convs=0, num_modes=2, loss_traj=dict(type='mmdet.L1Loss', loss_weight=1.0),
                             loss_mode=dict(type='mmdet.CrossEntropyLoss', loss_weight=1.0)))
    # the modes start apart: mode 0 ends at (+1, 0), mode 1 at (-1, 0) (radius 1, angles 0 and pi)
    assert torch.allclose(head.out_conv.bias[2:6], torch.tensor([1.0, 0.0, -1.0, 0.0]), atol=1e-6)
    # velocity 0; mode 0 residual (1, 0), mode 1 (-1, 0); logits (0, 0)
    sample = sample_with([[0.0, 0.0]], [[[-1.5, 0.0]]], [[True]], [[[0.0, 0.0]] * 3], [[True] * 3])
    losses = head.loss(torch.zeros(1, 2, 8, 8), [sample])
    # the future (-1.5, 0) is closest to mode 1: only its error |-1 - -1.5| = 0.5 counts (over 2 coordinates)
    assert torch.isclose(losses['loss_traj'], torch.tensor(0.25))
    # cross-entropy of uniform logits towards mode 1: log 2
    assert torch.isclose(losses['loss_mode'], torch.log(torch.tensor(2.0)))
    head.out_conv.bias.data[6:] = torch.tensor([0.0, 2.0])  # mode 1 more likely
    results = InstanceData()
    results.bboxes_3d = LiDARInstance3DBoxes(torch.tensor([[0.5, 0.5, 0.0, 1.0, 1.0, 1.0, 0.0]]))
    head.eval().predict(torch.zeros(1, 2, 8, 8), [results])
    assert results.traj_modes.shape == (1, 2, 1, 2)
    assert torch.allclose(results.traj_mode_scores.sum(dim=1), torch.ones(1))
    assert torch.allclose(results.trajs[0], torch.tensor([[-0.5, 0.5]]))  # mode 1: (0.5, 0.5) + (-1, 0)


def test_closest_mode_ignores_masked_steps():
    from projects.TurboTrain.turbotrain.models.heads import MotionTrajectoryHead
    modes = torch.tensor([[[[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [9.0, 9.0]]]])  # (1, K=2, F=2, 2)
    future = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    assert MotionTrajectoryHead.closest_mode(modes, future, torch.tensor([[True, False]])).tolist() == [1]
    assert MotionTrajectoryHead.closest_mode(modes, future, torch.tensor([[True, True]])).tolist() == [0]
