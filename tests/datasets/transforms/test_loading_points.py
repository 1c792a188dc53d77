import os

import numpy as np
import pytest

from projects.TurboTrain.turbotrain.datasets.lidar_io import LidarReadError
from projects.TurboTrain.turbotrain.datasets.transforms import LoadCoopPoints
from tests.datasets.tiny_scene import agent_points
from tests.datasets.transforms._helpers import loaded_results


def test_clouds_agent_major_in_their_own_frames(tmp_path):
    results = loaded_results(tmp_path)
    assert results['agent_ids'] == [1, -1, 2] and results['coop_points_frame'] == 'agent'
    assert len(results['coop_points']) == 9
    for a, agent_id in enumerate(results['agent_ids']):
        for t, frame in enumerate((1, 2, 3)):
            np.testing.assert_allclose(results['coop_points'][a * 3 + t], agent_points(agent_id, frame),
                                       atol=1e-5)
    assert results['coop_load_errors'] == []


def test_unreadable_file_becomes_missing_frame_or_raises(tmp_path):
    results = loaded_results(tmp_path)
    bad = results['agent_lidar_paths'][1][0]
    with open(bad, 'r+b') as handle:
        handle.truncate(5)
    info = {k: v for k, v in results.items() if not k.startswith('coop_')}
    loaded = LoadCoopPoints()(dict(info))
    assert loaded['coop_points'][3].shape == (0, 4)
    assert not loaded['agent_frame_valid'][1, 0] and loaded['agent_frame_valid'][1, 1]
    np.testing.assert_array_equal(loaded['agent_poses'][1, 0], np.eye(4))
    assert len(loaded['coop_load_errors']) == 1 and bad in loaded['coop_load_errors'][0]
    assert 'agent -1, history slot 0' in loaded['coop_load_errors'][0]
    with pytest.raises(LidarReadError, match=os.path.basename(bad)):
        LoadCoopPoints(on_error='raise')(dict(info))
    with pytest.raises(ValueError):
        LoadCoopPoints(on_error='ignore')
