import pytest

from projects.TurboTrain.turbotrain.datasets.transforms import GT_OBJECT_KEYS, LoadCoopAnnotations
from tests.datasets.tiny_scene import CAR_ID, PED_ID
from tests.datasets.transforms._helpers import loaded_results


def test_gt_keys_aligned(tmp_path):
    results = loaded_results(tmp_path)
    assert results['gt_obj_ids'].tolist() == [CAR_ID, PED_ID]
    for key in GT_OBJECT_KEYS:
        assert len(results[key]) == 2, key
    assert results['gt_future_traj'].shape == (2, 3, 2) and results['gt_past_traj'].shape == (2, 3, 2)
    # a copy: editing the gt keys leaves the dataset's ann_info alone
    results['gt_future_traj'][:] = 99
    assert (results['ann_info']['gt_future_traj'] != 99).any()


def test_missing_annotations_say_why():
    with pytest.raises(KeyError, match='load_labels=False'):
        LoadCoopAnnotations()(dict(scenario='s', frame='000001'))
