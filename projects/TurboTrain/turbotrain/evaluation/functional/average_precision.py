"""Average precision from ranked true/false-positive flags (VOC-2010 all-point interpolation)."""
from typing import Sequence

import numpy as np

from .matching import score_order

AP_MODES = ('global', 'opencood')


def voc_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC-2010 all-point interpolated AP.

    The precision envelope (precision at recall r := max precision at any recall >= r) is integrated
    over recall, with the curve closed by (recall 0, precision 0) and (recall 1, precision 0).

    Args:
        recall: ``(K,)`` non-decreasing recall after each ranked detection.
        precision: ``(K,)`` precision after each ranked detection.
    """
    mrec = np.concatenate([[0.0], np.asarray(recall, dtype=np.float64), [1.0]])
    mpre = np.concatenate([[0.0], np.asarray(precision, dtype=np.float64), [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def average_precision_from_flags(tp_flags: np.ndarray, num_gt: int) -> float:
    """AP of detections already in ranked order.

    Args:
        tp_flags: ``(K,)`` bool, True where the k-th ranked detection is a true positive.
        num_gt: number of ground truths of the class over the split.

    Returns:
        AP in ``[0, 1]``; ``nan`` when ``num_gt == 0`` (recall is undefined); 0 when there are
        ground truths but no detections.
    """
    if num_gt <= 0:
        return float('nan')
    tp_flags = np.asarray(tp_flags, dtype=bool).reshape(-1)
    if len(tp_flags) == 0:
        return 0.0
    tp = np.cumsum(tp_flags).astype(np.float64)
    fp = np.cumsum(~tp_flags).astype(np.float64)
    return voc_ap(tp / num_gt, tp / (tp + fp))


def rank_detections(frame_scores: Sequence[np.ndarray],
                    frame_tp: Sequence[np.ndarray],
                    mode: str = 'global') -> np.ndarray:
    """Order the TP flags of all frames for cumulation.

    Args:
        frame_scores: per frame, ``(D_i,)`` scores of the detections of one class.
        frame_tp: per frame, ``(D_i,)`` bool TP flags of the same detections.
        mode: ``'global'`` — all detections of the split sorted by score (stable, highest first),
            the correct definition; ``'opencood'`` — each frame's detections sorted by score, then
            frames appended one after the other without a global re-sort (what OpenCOOD's evaluation
            does, so figures can be compared with published OpenCOOD/V2XPnP tables).

    Returns:
        ``(sum D_i,)`` bool TP flags in ranked order.
    """
    if mode not in AP_MODES:
        raise ValueError(f'ap mode must be one of {AP_MODES}, got {mode!r}')
    scores, flags = [], []
    for frame_score, frame_flag in zip(frame_scores, frame_tp):
        frame_score = np.asarray(frame_score, dtype=np.float64).reshape(-1)
        frame_flag = np.asarray(frame_flag, dtype=bool).reshape(-1)
        order = score_order(frame_score)
        scores.append(frame_score[order])
        flags.append(frame_flag[order])
    if not scores:
        return np.zeros(0, dtype=bool)
    scores, flags = np.concatenate(scores), np.concatenate(flags)
    if mode == 'global':
        flags = flags[score_order(scores)]
    return flags


def average_precision(frame_scores: Sequence[np.ndarray],
                      frame_tp: Sequence[np.ndarray],
                      num_gt: int,
                      mode: str = 'global') -> float:
    """AP of one class over a split: :func:`rank_detections` then
    :func:`average_precision_from_flags`."""
    return average_precision_from_flags(rank_detections(frame_scores, frame_tp, mode), num_gt)
