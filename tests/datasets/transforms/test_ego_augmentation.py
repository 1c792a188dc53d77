"""A point on an object stays inside the object's box after augmentation + fusion (agent-frame and early-fusion
modes); trajectories and boxes move together; poses compose as M ← A·M."""
import numpy as np
import pytest

from projects.TurboTrain.turbotrain.datasets.transforms import (CoopGlobalRotScaleTrans, CoopPointsToEgo,
                                                                CoopRandomFlip, apply_ego_transform)
from tests.datasets.tiny_scene import CAR_ID, inside_box
from tests.datasets.transforms._helpers import fused_points, loaded_results


def _matrix(angle=0.0, scale=1.0, flip_y=False, flip_x=False, shift=(0, 0, 0)):
    c, s = np.cos(angle), np.sin(angle)
    flip = np.diag([-1.0 if flip_x else 1.0, -1.0 if flip_y else 1.0, 1.0])
    matrix = np.eye(4)
    matrix[:3, :3] = scale * np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ flip
    matrix[:3, 3] = shift
    return matrix


CASES = {'flip_y': _matrix(flip_y=True), 'flip_x': _matrix(flip_x=True),
         'rotate_60': _matrix(angle=np.pi / 3), 'scale': _matrix(scale=1.1),
         'all': _matrix(angle=-0.7, scale=0.93, flip_y=True, flip_x=True, shift=(1.0, -2.0, 0.3))}


@pytest.mark.parametrize('early_fusion', [False, True], ids=['agent_frames', 'early_fusion'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_points_stay_in_box_and_trajectories_follow(tmp_path, case, early_fusion):
    results = loaded_results(tmp_path)
    if early_fusion:
        results = CoopPointsToEgo()(results)
    matrix = CASES[case]
    car = results['gt_obj_ids'].tolist().index(CAR_ID)
    before_future = results['gt_future_traj'].copy()
    before_poses = np.asarray(results['agent_poses']).copy()
    results = apply_ego_transform(results, matrix)
    box = results['gt_bboxes_3d'].tensor[car].numpy()
    for cloud in fused_points(results):  # every agent's car points (first 20) inside the moved box
        assert inside_box(cloud[:20], box).all()
        assert not inside_box(cloud[20:], box).any()  # ground points stay outside
    # trajectories: valid steps move with A, masked steps stay 0; past at t0 = box centre
    mask = results['gt_future_mask']
    expected = before_future @ matrix[:2, :2].T + matrix[:2, 3]
    np.testing.assert_allclose(results['gt_future_traj'][mask], expected[mask], atol=1e-5)
    assert (results['gt_future_traj'][~mask] == 0).all()
    np.testing.assert_allclose(results['gt_past_traj'][car, -1], box[:2], atol=1e-5)
    np.testing.assert_allclose(results['ego_aug_matrix'], matrix)
    if early_fusion:
        np.testing.assert_allclose(results['agent_poses'], np.tile(np.eye(4), (3, 3, 1, 1)))
    else:
        np.testing.assert_allclose(results['agent_poses'], matrix @ before_poses, atol=1e-9)


def test_flip_changes_yaw_like_mmdet3d(tmp_path):
    results = loaded_results(tmp_path)
    ped = 1
    yaw = float(results['gt_bboxes_3d'].tensor[ped, 6])  # pedestrian yaw 30° in world = 30° in ego 1
    np.testing.assert_allclose(yaw, np.radians(30), atol=1e-6)
    flipped = apply_ego_transform(results, CASES['flip_y'])['gt_bboxes_3d'].tensor[ped].numpy()
    np.testing.assert_allclose(flipped[6], -np.radians(30), atol=1e-6)
    np.testing.assert_allclose(flipped[:2], [15, 0], atol=1e-6)


def test_random_transforms_compose_and_record(tmp_path):
    np.random.seed(3)
    results = loaded_results(tmp_path)
    results = CoopRandomFlip(flip_ratio_bev_horizontal=1.0, flip_ratio_bev_vertical=1.0)(results)
    results = CoopGlobalRotScaleTrans(rot_range=(0.5, 0.5), scale_ratio_range=(1.0, 1.0),
                                      translation_std=(0.5, 0.5, 0.1))(results)
    assert results['pcd_horizontal_flip'] and results['pcd_vertical_flip']
    expected = np.eye(4)
    expected[:2, :2] = [[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]]
    expected[:3, 3] = results['pcd_trans']
    expected = expected @ np.diag([-1.0, -1.0, 1.0, 1.0])
    np.testing.assert_allclose(results['ego_aug_matrix'], expected, atol=1e-9)
    box = results['gt_bboxes_3d'].tensor[0].numpy()
    for cloud in fused_points(results):
        assert inside_box(cloud[:20], box).all()


def test_rejects_non_bev_transforms(tmp_path):
    results = loaded_results(tmp_path)
    tilt = np.eye(4)
    tilt[:3, :3] = [[1, 0, 0], [0, np.cos(0.2), -np.sin(0.2)], [0, np.sin(0.2), np.cos(0.2)]]
    with pytest.raises(ValueError, match='must not mix z'):
        apply_ego_transform(results, tilt)
    shear = np.eye(4)
    shear[0, 1] = 0.3
    with pytest.raises(ValueError, match='similarity'):
        apply_ego_transform(results, shear)
