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


def _opencood_procedure_ap(frames, iou_thr):
    """The evaluation procedure of OpenCOOD's ``opencood/utils/eval_utils.py`` (read at DerrickXuNu/OpenCOOD
    582edab), restated with plain lists: per frame, detections from the highest score down each take the remaining
    ground truth of largest IoU if that IoU reaches the threshold (else count as FP); the frames' TP/FP lists are
    concatenated in frame order with no global re-sort; cumulative sums give precision/recall; VOC-2010 envelope
    summed over the recall steps."""
    tp_all, fp_all, gt_total = [], [], 0
    for ious, scores in frames:
        gt_total += ious.shape[1]
        remaining = list(range(ious.shape[1]))
        for det in sorted(range(len(scores)), key=lambda d: -scores[d]):
            if not remaining or max(ious[det, g] for g in remaining) < iou_thr:
                tp_all.append(0)
                fp_all.append(1)
                continue
            best = max(remaining, key=lambda g: ious[det, g])
            remaining.remove(best)
            tp_all.append(1)
            fp_all.append(0)
    rec, prec, tp_sum, fp_sum = [], [], 0, 0
    for tp, fp in zip(tp_all, fp_all):
        tp_sum, fp_sum = tp_sum + tp, fp_sum + fp
        rec.append(tp_sum / gt_total)
        prec.append(tp_sum / (tp_sum + fp_sum))
    mrec, mpre = [0.0] + rec + [1.0], [0.0] + prec + [0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    return sum((mrec[i] - mrec[i - 1]) * mpre[i] for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1])


@pytest.mark.parametrize('seed', range(5))
def test_opencood_mode_equals_opencoods_procedure_on_random_frames(seed):
    """greedy_match + rank_detections('opencood') + VOC AP give OpenCOOD's figure (one class, random IoUs with
    ties, empty frames and frames without ground truth)."""
    from projects.TurboTrain.turbotrain.evaluation.functional.matching import greedy_match
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(12):
        num_det, num_gt = rng.integers(0, 7), rng.integers(0, 5)
        ious = np.round(rng.uniform(0, 1, (num_det, num_gt)) * rng.integers(0, 2, (num_det, num_gt)), 1)
        frames.append((ious, rng.permutation(num_det) / 10 + rng.uniform(0, 0.05)))  # distinct scores per frame
    num_gt = sum(ious.shape[1] for ious, _ in frames)
    for thr in (0.3, 0.5, 0.7):
        tps = [greedy_match(ious, scores, np.zeros(len(scores)), np.zeros(ious.shape[1]), thr) >= 0
               for ious, scores in frames]
        ours = average_precision([scores for _, scores in frames], tps, num_gt, 'opencood')
        assert ours == pytest.approx(_opencood_procedure_ap(frames, thr), abs=1e-12)
