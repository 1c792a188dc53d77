"""CoopPoseNoise: the perturbation of each cooperator's pose by hand, reproducible seeded draws, zero noise exact,
the ego untouched, and the draws' spread."""
import copy

import numpy as np
import pytest

from mmdet3d.registry import TRANSFORMS
from projects.TurboTrain.turbotrain.datasets.transforms import CoopPointsToEgo, CoopPoseNoise


def planar(x: float, y: float, yaw: float) -> np.ndarray:
    matrix = np.eye(4)
    matrix[:2, :2] = [[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]]
    matrix[:2, 3] = x, y
    return matrix


def sample(sample_idx: int = 7, agents: int = 3, frames: int = 2) -> dict:
    """A results dict as the dataset gives it: ego identity at t0, cooperators at known planar poses."""
    poses = np.stack([np.stack([planar(10.0 * a + t, -5.0 * a, 0.3 * a) for t in range(frames)])
                      for a in range(agents)])
    poses[0, -1] = np.eye(4)
    valid = np.ones((agents, frames), dtype=bool)
    valid[2, 0] = False
    poses[2, 0] = np.eye(4)
    return dict(sample_idx=sample_idx, agent_poses=poses, agent_frame_valid=valid)


def test_registered():
    assert TRANSFORMS.get('CoopPoseNoise') is CoopPoseNoise


def test_zero_noise_changes_nothing_bit_for_bit():
    results = sample()
    clean = copy.deepcopy(results)
    out = CoopPoseNoise(pos_std=0.0, rot_std=0.0, seed=3)(results)
    assert np.array_equal(out['agent_poses'], clean['agent_poses'])
    assert out['agent_poses'].dtype == clean['agent_poses'].dtype
    assert not out['agent_pose_noise'].any()


def test_perturbation_by_hand():
    results = sample()
    clean = copy.deepcopy(results['agent_poses'])
    out = CoopPoseNoise(pos_std=0.5, rot_std=2.0, seed=0)(results)
    noise = out['agent_pose_noise']
    assert not noise[0].any() and not noise[2, 0].any()  # the ego and the missing frame stay exact
    assert np.array_equal(out['agent_poses'][0], clean[0]) and np.array_equal(out['agent_poses'][2, 0], clean[2, 0])
    for a, t in [(1, 0), (1, 1), (2, 1)]:
        dx, dy, dyaw = noise[a, t]
        assert dx != 0 and dy != 0 and dyaw != 0
        pose, before = out['agent_poses'][a, t], clean[a, t]
        # the cooperator's LiDAR origin moves by (dx, dy) in the ego frame ...
        np.testing.assert_allclose(pose[:3, 3], before[:3, 3] + [dx, dy, 0.0], atol=1e-12)
        # ... and its view turns by dyaw about that origin: headings rotate, distances to it are kept
        heading_before = np.arctan2(before[1, 0], before[0, 0])
        heading_after = np.arctan2(pose[1, 0], pose[0, 0])
        assert np.angle(np.exp(1j * (heading_after - heading_before - dyaw))) == pytest.approx(0.0, abs=1e-12)
        point = np.array([3.0, -2.0, 0.5, 1.0])
        np.testing.assert_allclose(np.linalg.norm((pose @ point)[:3] - pose[:3, 3]),
                                   np.linalg.norm((before @ point)[:3] - before[:3, 3]), atol=1e-12)
        np.testing.assert_allclose(pose[2], before[2], atol=1e-12)  # height untouched
        np.testing.assert_allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-12)  # still rigid


def test_seeded_draws_are_reproducible_and_per_sample():
    noise = CoopPoseNoise(pos_std=0.3, rot_std=1.0, seed=5)
    first = noise(sample(sample_idx=4))['agent_poses']
    noise(sample(sample_idx=9))  # another sample in between does not shift the draws
    again = noise(sample(sample_idx=4))['agent_poses']
    assert np.array_equal(first, again)
    assert np.array_equal(CoopPoseNoise(pos_std=0.3, rot_std=1.0, seed=5)(sample(sample_idx=4))['agent_poses'], first)
    assert not np.array_equal(noise(sample(sample_idx=5))['agent_poses'], first)
    assert not np.array_equal(CoopPoseNoise(pos_std=0.3, rot_std=1.0, seed=6)(sample(sample_idx=4))['agent_poses'],
                              first)


def test_spread_matches_the_standard_deviations():
    noise = CoopPoseNoise(pos_std=0.4, rot_std=3.0, seed=1)
    draws = np.concatenate([noise(sample(sample_idx=i, agents=4, frames=3))['agent_pose_noise'][1:].reshape(-1, 3)
                            for i in range(400)])
    draws = draws[np.abs(draws).sum(1) > 0]  # the missing frame of agent 2
    assert len(draws) == 400 * 8
    np.testing.assert_allclose(draws[:, :2].std(0), 0.4, rtol=0.05)
    np.testing.assert_allclose(draws[:, 2].std(), np.radians(3.0), rtol=0.05)
    np.testing.assert_allclose(draws.mean(0), 0.0, atol=0.03)


def test_one_draw_per_agent_and_noisy_ego_history():
    out = CoopPoseNoise(pos_std=0.3, rot_std=1.0, seed=0, per_frame=False, noisy_ego=True)(sample(frames=3))
    noise = out['agent_pose_noise']
    np.testing.assert_array_equal(noise[1, 0], noise[1, 2])
    assert noise[0, 0].any() and not noise[0, -1].any()  # the ego's t0 pose is the reference frame
    np.testing.assert_array_equal(out['agent_poses'][0, -1], np.eye(4))


def test_order_and_bad_arguments():
    results = CoopPointsToEgo()(dict(sample(), coop_points=[np.zeros((0, 4), np.float32)] * 6))
    with pytest.raises(ValueError, match='before CoopPointsToEgo'):
        CoopPoseNoise(pos_std=0.1, rot_std=0.1)(results)
    with pytest.raises(ValueError, match='>= 0'):
        CoopPoseNoise(pos_std=-1.0)
    with pytest.raises(KeyError, match='sample_idx'):
        CoopPoseNoise(pos_std=0.1, seed=0)({k: v for k, v in sample().items() if k != 'sample_idx'})
    unseeded = CoopPoseNoise(pos_std=0.1, rot_std=0.1, seed=None)
    np.random.seed(0)
    first = unseeded(sample())['agent_poses']
    np.random.seed(0)
    assert np.array_equal(unseeded(sample())['agent_poses'], first)  # the global generator (worker-seeded)
