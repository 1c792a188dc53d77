import numpy as np

from projects.TurboTrain.turbotrain.datasets.transforms import CoopPointsToEgo
from tests.datasets.transforms._helpers import fused_points, loaded_results


def test_points_moved_with_their_pose_and_pose_reset(tmp_path):
    results = loaded_results(tmp_path)
    expected = [fused_points(results, slot) for slot in range(3)]
    fused = CoopPointsToEgo()(results)
    assert fused['coop_points_frame'] == 'ego'
    np.testing.assert_allclose(fused['agent_poses'], np.tile(np.eye(4), (3, 3, 1, 1)))
    for a in range(3):
        for t in range(3):
            cloud = fused['coop_points'][a * 3 + t]
            assert cloud.dtype == np.float32
            np.testing.assert_allclose(cloud[:, :3], expected[t][a], atol=1e-4)
    again = CoopPointsToEgo()(fused)  # idempotent
    np.testing.assert_allclose(again['coop_points'][0][:, :3], expected[0][0], atol=1e-4)
