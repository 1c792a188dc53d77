import numpy as np

from projects.TurboTrain.turbotrain.datasets.transforms import (GT_OBJECT_KEYS, CoopObjectRangeFilter,
                                                                CoopPointsRangeFilter)
from tests.datasets.tiny_scene import CAR_ID, agent_points
from tests.datasets.transforms._helpers import loaded_results


def test_points_cropped_in_each_agent_frame(tmp_path):
    results = loaded_results(tmp_path)
    # agent 1 (ego): car points at x 5.4..8.6 (frame 3); ground at x = ±3 → keep x in [0, 6)
    filtered = CoopPointsRangeFilter([0, -50, -10, 6, 50, 10])(results)
    for a, agent_id in enumerate(filtered['agent_ids']):
        raw = agent_points(agent_id, 3)
        keep = (raw[:, 0] >= 0) & (raw[:, 0] < 6)
        np.testing.assert_allclose(filtered['coop_points'][a * 3 + 2], raw[keep], atol=1e-5)
    assert filtered['point_cloud_range'] == [0, -50, -10, 6, 50, 10]


def test_objects_filtered_with_all_keys_aligned(tmp_path):
    results = loaded_results(tmp_path, test_mode=False)
    results['eval_ann_info'] = {k: results['ann_info'][k] for k in GT_OBJECT_KEYS}
    # ego 1 frame 3: car at (7, 5), pedestrian at (15, 0) → keep x < 10
    filtered = CoopObjectRangeFilter([-10, -10, -8, 10, 10, 4])(results)
    for key in GT_OBJECT_KEYS:
        assert len(filtered[key]) == 1 and len(filtered['eval_ann_info'][key]) == 1, key
    assert filtered['gt_obj_ids'].tolist() == [CAR_ID]
    np.testing.assert_allclose(filtered['gt_future_traj'][0], [[8, 5], [9, 5], [0, 0]], atol=1e-6)
    off = CoopObjectRangeFilter([-10, -10, -8, 10, 10, 4], apply_to_eval=False)(loaded_results(tmp_path / 'b'))
    assert off['gt_obj_ids'].tolist() == [CAR_ID]
