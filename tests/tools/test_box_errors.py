"""tools/analysis/box_errors.py: the nearest-detection errors and their per-class summary, by hand."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('box_errors', osp.join(REPO_ROOT, 'tools', 'analysis', 'box_errors.py'))
box_errors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(box_errors)


def test_nearest_same_class_detection_and_its_errors():
    gt = np.array([[0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0],
                   [10.0, 0.0, 0.0, 4.0, 2.0, 1.5, 3.0],
                   [30.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0]])
    gt_labels = np.array([0, 0, 1])
    pred = np.array([[0.3, -0.4, 0.0, 5.0, 2.0, 1.5, np.pi / 2],   # 0.5 m off, 90° turned
                     [0.1, 0.0, 0.0, 4.0, 2.0, 1.5, 0.0],         # other class: ignored for gt 0
                     [10.0, 1.0, 0.0, 2.0, 1.0, 3.0, -3.0],       # yaw -3 vs 3: wraps to 2π - 6
                     [35.0, 0.0, 0.0, 1.0, 1.0, 2.0, 0.0]])       # class 1 but 5 m away: no pair
    labels = np.array([0, 1, 0, 1])
    rows = box_errors.nearest_box_errors(pred, labels, gt, gt_labels, max_dist=3.0)
    assert rows.shape == (2, 8)
    np.testing.assert_allclose(rows[0], [0, 0.3, -0.4, 0.5, 1.25, 1.0, 1.0, np.pi / 2])
    np.testing.assert_allclose(rows[1], [0, 0.0, 1.0, 1.0, 0.5, 0.5, 2.0, 2 * np.pi - 6.0])


def test_summary_per_class():
    rows = np.array([[0, 0.3, -0.4, 0.5, 1.25, 1.0, 1.0, np.pi / 2],
                     [0, 0.1, 0.0, 1.0, 0.75, 1.0, 1.0, -0.1]])
    summary = box_errors.summarize(rows, ['vehicle', 'pedestrian'])
    assert summary['pedestrian'] == dict(pairs=0)
    vehicle = summary['vehicle']
    assert vehicle['pairs'] == 2
    assert vehicle['mean_dx'] == pytest.approx(0.2) and vehicle['mean_dy'] == pytest.approx(-0.2)
    assert vehicle['median_dist'] == pytest.approx(0.75)
    assert vehicle['median_size_ratio'] == pytest.approx([1.0, 1.0, 1.0])
    assert vehicle['median_abs_dyaw'] == pytest.approx((np.pi / 2 + 0.1) / 2)
    assert vehicle['abs_dyaw_hist'] == [1, 0, 0, 0, 1, 0, 0, 0]
