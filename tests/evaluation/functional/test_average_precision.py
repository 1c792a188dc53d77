import numpy as np
import pytest

from projects.TurboTrain.turbotrain.evaluation.functional.average_precision import (
    average_precision, average_precision_from_flags, rank_detections, voc_ap)


def test_hand_computed_ap_of_five_detections():
    # ranked T F T F T, 3 gt: precision 1, 1/2, 2/3, 1/2, 3/5 at recall 1/3, 1/3, 2/3, 2/3, 1.
    # envelope: 1 on (0, 1/3], 2/3 on (1/3, 2/3], 3/5 on (2/3, 1]
    # -> AP = (1 + 2/3 + 3/5) / 3 = 34/45
    flags = np.array([1, 0, 1, 0, 1], bool)
    assert average_precision_from_flags(flags, 3) == pytest.approx(34 / 45)


def test_recall_not_reached_and_degenerate_cases():
    assert average_precision_from_flags(np.array([1, 0], bool), 4) == pytest.approx(0.25)
    assert average_precision_from_flags(np.zeros(0, bool), 2) == 0.0  # gt but no detection
    assert np.isnan(average_precision_from_flags(np.array([0, 0], bool), 0))  # no gt: undefined
    assert average_precision_from_flags(np.ones(3, bool), 3) == pytest.approx(1.0)
    assert average_precision_from_flags(np.zeros(3, bool), 3) == 0.0


def test_voc_ap_envelope():
    assert voc_ap(np.array([0.5, 1.0]), np.array([0.5, 1.0])) == pytest.approx(1.0)


def test_global_and_opencood_modes_differ_on_interleaved_frames():
    # frame A: 0.9 TP, 0.6 FP; frame B: 0.8 FP, 0.7 TP; 2 gt in total.
    scores = [np.array([0.6, 0.9]), np.array([0.8, 0.7])]  # frame-internal order is irrelevant
    tps = [np.array([False, True]), np.array([False, True])]
    # global: T(.9) F(.8) T(.7) F(.6): prec 1, 1/2, 2/3, 1/2 at rec 1/2, 1/2, 1, 1
    # -> AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
    np.testing.assert_array_equal(rank_detections(scores, tps, 'global'), [1, 0, 1, 0])
    assert average_precision(scores, tps, 2, 'global') == pytest.approx(5 / 6)
    # opencood: T(.9) F(.6) | F(.8) T(.7): prec 1, 1/2, 1/3, 1/2 at rec 1/2, 1/2, 1/2, 1
    # -> AP = 1/2 * 1 + 1/2 * 1/2 = 3/4
    np.testing.assert_array_equal(rank_detections(scores, tps, 'opencood'), [1, 0, 0, 1])
    assert average_precision(scores, tps, 2, 'opencood') == pytest.approx(3 / 4)


def test_modes_agree_when_frames_are_not_interleaved():
    scores = [np.array([0.9, 0.8]), np.array([0.7, 0.6])]
    tps = [np.array([True, False]), np.array([False, True])]
    global_ap = average_precision(scores, tps, 2, 'global')
    assert global_ap == average_precision(scores, tps, 2, 'opencood') == pytest.approx(0.75)


def test_bad_mode():
    with pytest.raises(ValueError):
        rank_detections([np.ones(1)], [np.ones(1, bool)], 'kitti')
