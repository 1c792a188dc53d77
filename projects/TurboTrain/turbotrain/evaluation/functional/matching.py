"""Greedy per-frame matching of detections to ground truth (OpenCOOD / VOC style)."""
import numpy as np


def score_order(scores: np.ndarray) -> np.ndarray:
    """Indices sorting ``scores`` (N,) from highest to lowest; ties keep their input order (stable).
    """
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind='stable')


def greedy_match(ious: np.ndarray, det_scores: np.ndarray, det_labels: np.ndarray,
                 gt_labels: np.ndarray, iou_thr: float) -> np.ndarray:
    """Match the detections of one frame to its ground truths.

    Detections are visited from the highest score down; each takes, among the ground truths of its
    own class not yet taken, the one of largest IoU (first one on ties), provided that IoU is ``>=
    iou_thr``. A match removes that ground truth. Detections of a class with no (remaining) ground
    truth stay unmatched.

    Args:
        ious: ``(D, G)`` BEV IoU between detections and ground truths.
        det_scores: ``(D,)`` detection scores.
        det_labels: ``(D,)`` detection class indices.
        gt_labels: ``(G,)`` ground-truth class indices.
        iou_thr: minimum IoU of a match.

    Returns:
        ``(D,)`` int64: index of the matched ground truth for each detection, ``-1`` if unmatched.
    """
    det_labels = np.asarray(det_labels).reshape(-1)
    gt_labels = np.asarray(gt_labels).reshape(-1)
    num_det, num_gt = len(det_labels), len(gt_labels)
    ious = np.asarray(ious, dtype=np.float64).reshape(num_det, num_gt)
    matched = np.full(num_det, -1, dtype=np.int64)
    if num_det == 0 or num_gt == 0:
        return matched
    available = np.ones(num_gt, dtype=bool)
    for det in score_order(det_scores):
        candidates = available & (gt_labels == det_labels[det])
        if not candidates.any():
            continue
        masked = np.where(candidates, ious[det], -np.inf)
        best = int(np.argmax(masked))
        if masked[best] >= iou_thr:
            matched[det] = best
            available[best] = False
    return matched
