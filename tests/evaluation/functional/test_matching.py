import numpy as np

from projects.TurboTrain.turbotrain.evaluation.functional.matching import greedy_match, score_order


def test_score_order_is_stable_and_descending():
    np.testing.assert_array_equal(score_order(np.array([0.2, 0.9, 0.2, 0.5])), [1, 3, 0, 2])


def test_higher_score_takes_its_best_gt_first():
    # det 0 (0.9) prefers gt 1 (0.8); det 1 (0.8) prefers gt 1 too (0.9), but it is gone: it falls
    # back to gt 0.
    ious = np.array([[0.6, 0.8], [0.55, 0.9]])
    matched = greedy_match(ious, np.array([0.9, 0.8]), np.array([0, 0]), np.array([0, 0]), 0.5)
    np.testing.assert_array_equal(matched, [1, 0])
    # at 0.7 det 1's remaining candidate (0.55) is too weak
    matched = greedy_match(ious, np.array([0.9, 0.8]), np.array([0, 0]), np.array([0, 0]), 0.7)
    np.testing.assert_array_equal(matched, [1, -1])


def test_score_order_not_input_order_decides():
    ious = np.array([[0.6], [0.9]])
    matched = greedy_match(ious, np.array([0.3, 0.8]), np.array([0, 0]), np.array([0]), 0.5)
    np.testing.assert_array_equal(matched, [-1, 0])


def test_class_must_agree_and_threshold_is_inclusive():
    ious = np.array([[1.0, 0.5]])
    # gt 0 is of another class; gt 1 has IoU exactly at the threshold
    matched = greedy_match(ious, np.array([0.9]), np.array([1]), np.array([0, 1]), 0.5)
    np.testing.assert_array_equal(matched, [1])
    matched = greedy_match(ious, np.array([0.9]), np.array([2]), np.array([0, 1]), 0.5)
    np.testing.assert_array_equal(matched, [-1])


def test_empty_inputs():
    assert greedy_match(np.zeros((0, 3)), np.zeros(0), np.zeros(0), np.zeros(3), 0.5).shape == (0, )
    np.testing.assert_array_equal(
        greedy_match(np.zeros((2, 0)), np.ones(2), np.zeros(2), np.zeros(0), 0.5), [-1, -1])
