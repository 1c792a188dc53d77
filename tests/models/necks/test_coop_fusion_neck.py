import math

import pytest
import torch

from projects.TurboTrain.turbotrain.models.necks import CoopFusionNeck
from tests.models.coop_fakes import planar_pose

torch.set_num_threads(1)
RANGE = [-16, -16, -3, 16, 16, 1]


def build_neck(channels=4, history=3):
    return CoopFusionNeck(
        RANGE,
        temporal_fusion=dict(type='TemporalAttentionFusion', channels=channels, max_history=history),
        spatial_fusion=dict(type='AgentAttentionFusion', channels=channels)).eval()


@pytest.mark.parametrize('agents,frames', [(1, 1), (2, 3), (4, 2)])
def test_shapes_for_one_to_four_agents(agents, frames):
    neck = build_neck()
    out = neck(torch.randn(2, agents, frames, 4, 8, 8), torch.eye(4).repeat(2, agents, frames, 1, 1),
               torch.ones(2, agents, frames, dtype=torch.bool), torch.zeros(2, agents, dtype=torch.long))
    assert out['bev'].shape == (2, 4, 8, 8)
    assert out['bev_valid'].all()
    assert out['agent_bev'].shape == (2, agents, 4, 8, 8)


def test_cooperator_feature_reaches_the_hand_computed_ego_cell_only():
    torch.manual_seed(0)
    neck = build_neck(history=2)
    features = torch.randn(1, 2, 2, 4, 32, 32)
    poses = torch.eye(4).repeat(1, 2, 2, 1, 1)
    poses[0, 1] = planar_pose(10.0, 0.0, math.pi / 2)  # cooperator: +10 m in x, rotated 90°
    frame_valid = torch.ones(1, 2, 2, dtype=torch.bool)
    types = torch.tensor([[0, 1]])
    base = neck(features, poses, frame_valid, types)['bev']
    bumped = features.clone()
    bumped[0, 1, 1, :, 16, 21] += 5.0  # cooperator's current frame, its cell centre (5.5, 0.5)
    changed = (neck(bumped, poses, frame_valid, types)['bev'] - base).abs().sum(0)[0] > 1e-6
    assert changed.nonzero().tolist() == [[21, 25]]  # ego (9.5, 5.5)


def test_padding_agents_and_missing_frames_change_nothing():
    torch.manual_seed(0)
    neck = build_neck()
    features = torch.randn(1, 2, 3, 4, 8, 8)
    poses = torch.stack([planar_pose(0, 0, 0), planar_pose(3.0, 1.0, 0.3)])[None, :, None].repeat(1, 1, 3, 1, 1)
    frame_valid = torch.tensor([[[True, True, True], [False, True, True]]])
    types = torch.tensor([[0, 1]])
    reference = neck(features, poses, frame_valid, types)['bev']
    garbage = features.clone()
    garbage[0, 1, 0] = 1e4  # the cooperator's missing frame
    padded_features = torch.cat([garbage, torch.full((1, 1, 3, 4, 8, 8), -1e4)], dim=1)
    padded_poses = torch.cat([poses, planar_pose(50, 50, 1.0).repeat(1, 1, 3, 1, 1)], dim=1)
    padded_valid = torch.cat([frame_valid, torch.ones(1, 1, 3, dtype=torch.bool)], dim=1)
    agent_valid = torch.tensor([[True, True, False]])
    out = neck(padded_features, padded_poses, padded_valid, torch.tensor([[0, 1, 0]]), agent_valid)
    assert torch.allclose(out['bev'], reference, atol=1e-5)
    assert not out['warped_valid'][0, 2].any() and not out['warped_valid'][0, 1, 0].any()
