"""V2XPnPSeqDataset ``cooperator_delay``: a hand-made scene where a delayed cooperator's view of a moving car lands
in a known BEV cell of the ego grid — placed with the pose of the delayed frame.

World (metres), frames s = 0..5 on the 10 Hz clock:
- ego vehicle 1 standing at the origin, yaw 0 (its frame is the world);
- cooperator vehicle 2 driving +2 m per frame along +y at x = 20, yaw 90°: LiDAR at (20, 2s);
- a car driving +1 m per frame along +x at y = 10: centre (5 + s, 10). Only the cooperator's cloud holds it
  (9 points 0.1–0.3 m ahead of and left of its centre, in the cooperator's frame at s).
At t0 = 5 with delay k the cooperator's cloud is the one of frame 5 - k, so in the ego frame the car's points sit
at (10 - k, 10); with the pose of frame 5 instead (the wrong one) they would sit at (10 - k, 10 + 2k).
On the contract's grid over ±16 m at 1 m cells (row = floor(y + 16), col = floor(x + 16)) that is
row 26, col 26 - k.
"""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.fileio import dump

from projects.TurboTrain.turbotrain.datasets.converters.v2xpnp_converter import INFO_VERSION
from projects.TurboTrain.turbotrain.datasets.transforms import CoopPointsToEgo, LoadCoopPoints
from projects.TurboTrain.turbotrain.datasets.v2xpnp_dataset import V2XPnPSeqDataset

FRAMES = range(6)


def pose(x: float, y: float, yaw_deg: float) -> np.ndarray:
    yaw = np.radians(yaw_deg)
    matrix = np.eye(4)
    matrix[:2, :2] = [[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]]
    matrix[:2, 3] = x, y
    return matrix


def cooperator_pose(frame: int) -> np.ndarray:
    return pose(20.0, 2.0 * frame, 90.0)


def car_centre(frame: int) -> np.ndarray:
    return np.array([5.0 + frame, 10.0, 0.75])


def write_scene(root: str) -> None:
    data_list = []
    for frame in FRAMES:
        agents = {}
        for agent_id, to_world in ((1, pose(0.0, 0.0, 0.0)), (2, cooperator_pose(frame))):
            world = np.array([[0.0, 0.0, 0.0]]) + [[3.0, 3.0, 0.0]]  # one ground point near every agent
            world = world + to_world[:3, 3]
            if agent_id == 2:
                offsets = np.array([[dx, dy, 0.0] for dx in (0.1, 0.2, 0.3) for dy in (0.1, 0.2, 0.3)])
                world = np.concatenate([car_centre(frame) + offsets, world])
            local = (world - to_world[:3, 3]) @ to_world[:3, :3]  # world → agent frame
            cloud = np.concatenate([local, np.full((len(local), 1), 0.5)], 1).astype(np.float32)
            relative = osp.join('test', 'scen', str(agent_id), f'{frame:06d}.bin')
            os.makedirs(osp.dirname(osp.join(root, relative)), exist_ok=True)
            cloud.tofile(osp.join(root, relative))
            agents[agent_id] = dict(agent_id=agent_id, agent_type='vehicle', lidar_path=relative,
                                    lidar_to_world=to_world, num_points=len(cloud))
        car = dict(obj_id=100, obj_type='Car', label=0, seen_by=[2],
                   box_world=np.array([*car_centre(frame), 4.0, 2.0, 1.5, 0.0]))
        data_list.append(dict(sample_idx=frame, scenario='scen', frame=f'{frame:06d}', frame_idx=frame,
                              time_idx=frame, timestamp=frame / 10, agents=agents, objects=[car]))
    metainfo = dict(dataset='V2XPnP-Seq', info_version=INFO_VERSION, split='test', classes=('vehicle', ),
                    obj_type_to_class={'Car': 'vehicle'}, frame_rate_hz=10)
    dump(dict(metainfo=metainfo, data_list=data_list), osp.join(root, 'infos.pkl'))


def dataset(root: str, **kwargs) -> V2XPnPSeqDataset:
    options = dict(history_frames=1, future_frames=0, collaboration_mode='v2v', test_mode=True,
                   metainfo=dict(classes=('vehicle', ), obj_type_to_class={'Car': 'vehicle'}))
    options.update(kwargs)
    return V2XPnPSeqDataset(data_root=root, ann_file=osp.join(root, 'infos.pkl'), pipeline=[], **options)


def ego_sample(data: V2XPnPSeqDataset, frame: int = 5) -> dict:
    [index] = [i for i in range(len(data))
               if data.get_data_info(i)['ego_id'] == 1 and data.get_data_info(i)['time_idx'] == frame]
    return data.get_data_info(index)


def car_cells(results: dict) -> set:
    """BEV cells (row, col) of the cooperator's points near its car, in the ego frame (±16 m, 1 m cells)."""
    fused = CoopPointsToEgo()(LoadCoopPoints()(dict(results)))
    points = fused['coop_points'][1]  # agent 1 (the cooperator), the only history slot
    points = points[points[:, 2] > 0.5]  # the car's points (ground points are at z = 0)
    assert len(points) == 9
    return {(int(np.floor(p[1] + 16)), int(np.floor(p[0] + 16))) for p in points[:, :2]}


@pytest.mark.parametrize('delay', [0, 1, 2, 3])
def test_delayed_car_lands_in_known_cell(tmp_path, delay):
    write_scene(str(tmp_path))
    info = ego_sample(dataset(str(tmp_path), cooperator_delay=delay))
    assert info['agent_ids'] == [1, 2]
    # the delayed frame's pose, not the current one's
    np.testing.assert_allclose(info['agent_poses'][1, 0], cooperator_pose(5 - delay), atol=1e-12)
    np.testing.assert_allclose(info['agent_poses'][0, 0], np.eye(4), atol=1e-12)  # the ego is never delayed
    assert info['agent_lidar_paths'][1][0].endswith(f'2/{5 - delay:06d}.bin')
    assert info['agent_lidar_paths'][0][0].endswith('1/000005.bin')
    assert car_cells(info) == {(26, 26 - delay)}
    # labels stay at t0: the car at (10, 10)
    np.testing.assert_allclose(info['eval_ann_info']['gt_bboxes_3d'].tensor[0, :2].numpy(), [10.0, 10.0])


def test_zero_delay_is_the_undelayed_dataset(tmp_path):
    write_scene(str(tmp_path))
    plain = dataset(str(tmp_path), history_frames=2)
    zero = dataset(str(tmp_path), history_frames=2, cooperator_delay=0)
    assert len(plain) == len(zero)
    for i in range(len(plain)):
        a, b = plain.get_data_info(i), zero.get_data_info(i)
        assert a['agent_lidar_paths'] == b['agent_lidar_paths']
        assert np.array_equal(a['agent_poses'], b['agent_poses'])
        assert np.array_equal(a['agent_frame_valid'], b['agent_frame_valid'])


def test_delay_before_the_scenario_start_is_a_missing_frame_and_samples_are_paired(tmp_path):
    write_scene(str(tmp_path))
    plain = dataset(str(tmp_path), history_frames=2)
    delayed = dataset(str(tmp_path), history_frames=2, cooperator_delay=4)
    assert len(plain) == len(delayed)  # the same (ego, t0) samples and cooperators
    info = ego_sample(delayed, frame=4)  # history slots 3, 4 → the cooperator's frames -1 (none) and 0
    assert info['agent_ids'] == [1, 2]
    np.testing.assert_array_equal(info['agent_frame_valid'], [[True, True], [False, True]])
    np.testing.assert_allclose(info['agent_poses'][1, 0], np.eye(4))
    np.testing.assert_allclose(info['agent_poses'][1, 1], cooperator_pose(0), atol=1e-12)
    with pytest.raises(ValueError, match='cooperator_delay'):
        dataset(str(tmp_path), cooperator_delay=-1)
