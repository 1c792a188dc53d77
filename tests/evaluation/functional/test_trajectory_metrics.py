import numpy as np
import pytest

from projects.TurboTrain.turbotrain.evaluation.functional.trajectory_metrics import (
    displacement_errors, end_to_end_prediction_accuracy, miss_rate)


def test_ade_fde_with_masks():
    gt = np.array([[[0, 0], [1, 0], [2, 0]], [[0, 0], [0, 0], [0, 0]], [[0, 0], [0, 0], [0, 0]]],
                  float)
    mask = np.array([[True, True, False], [False, True, True], [False, False, False]])
    # errors: agent 0: 1, 3, (masked); agent 1: (masked), 5, 1; agent 2: no valid step
    pred = np.array(
        [[[0, 1], [1, 3], [100, 100]], [[50, 50], [3, 4], [0, 1]], [[9, 9], [9, 9], [9, 9]]], float)
    ade, fde, valid = displacement_errors(pred, gt, mask)
    np.testing.assert_array_equal(valid, [True, True, False])
    np.testing.assert_allclose(ade[:2], [2.0, 3.0])
    np.testing.assert_allclose(fde[:2], [3.0, 1.0])  # FDE at the last *valid* step
    assert np.isnan(ade[2]) and np.isnan(fde[2])
    assert miss_rate(fde[valid], 2.0) == pytest.approx(0.5)


def test_miss_rate_threshold_is_strict_and_empty_is_nan():
    assert miss_rate(np.array([2.0, 2.0001]), 2.0) == pytest.approx(0.5)
    assert np.isnan(miss_rate(np.zeros(0), 2.0))


def test_empty_pairs():
    ade, fde, valid = displacement_errors(np.zeros((0, 4, 2)), np.zeros((0, 4, 2)),
                                          np.zeros((0, 4), bool))
    assert ade.shape == fde.shape == valid.shape == (0, )


def test_epa():
    assert end_to_end_prediction_accuracy(3, 2, 4, alpha=0.5) == pytest.approx(0.5)
    assert end_to_end_prediction_accuracy(0, 4, 1, alpha=0.5) == pytest.approx(-2.0)  # not clipped
    assert np.isnan(end_to_end_prediction_accuracy(0, 1, 0))


def test_min_displacement_errors_take_each_minimum_on_its_own():
    from projects.TurboTrain.turbotrain.evaluation.functional.trajectory_metrics import min_displacement_errors
    gt = np.array([[[1, 0], [2, 0]], [[1, 0], [2, 0]], [[0, 0], [0, 0]]], float)
    modes = np.array([
        [[[1, 0], [2, 2]], [[1, 1.5], [2, 1.5]]],  # mode 0: errors 0, 2 (ADE 1, FDE 2); mode 1: 1.5, 1.5
        [[[1, 0], [9, 9]], [[1, 3], [2, 0]]],  # step 1 masked: mode 0 error 0; mode 1 error 3
        [[[5, 5], [5, 5]], [[5, 5], [5, 5]]],  # no valid step
    ], float)
    mask = np.array([[True, True], [True, False], [False, False]])
    min_ade, min_fde, valid = min_displacement_errors(modes, gt, mask)
    assert valid.tolist() == [True, True, False]
    np.testing.assert_allclose(min_ade[:2], [1.0, 0.0])  # agent 0: mode 0's ADE
    np.testing.assert_allclose(min_fde[:2], [1.5, 0.0])  # agent 0: mode 1's FDE
    assert np.isnan(min_ade[2]) and np.isnan(min_fde[2])
    empty = min_displacement_errors(np.zeros((0, 3, 2, 2)), np.zeros((0, 2, 2)), np.zeros((0, 2), bool))
    assert all(len(a) == 0 for a in empty)
