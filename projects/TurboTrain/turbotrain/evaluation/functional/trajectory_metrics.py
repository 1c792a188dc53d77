"""Trajectory errors of matched agents: ADE, FDE, miss rate and ViP3D's end-to-end prediction
accuracy (EPA).

Positions are absolute ``(x, y)`` object centres in the ego frame at t0 (docs/contract.md), in
metres.
"""
from typing import Tuple

import numpy as np


def displacement_errors(pred_traj: np.ndarray, gt_traj: np.ndarray,
                        gt_mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Average and final displacement errors over the valid future steps of each agent.

    Args:
        pred_traj: ``(P, F, 2)`` predicted centres at t0+kΔ, k = 1..F.
        gt_traj: ``(P, F, 2)`` ground-truth centres at the same steps.
        gt_mask: ``(P, F)`` bool, True where the ground truth is annotated.

    Returns:
        ade ``(P,)``: mean L2 error over the valid steps; fde ``(P,)``: L2 error at the last valid
        step; valid ``(P,)`` bool: agents with at least one valid step. ``ade``/``fde`` are ``nan``
        where not valid.
    """
    pred_traj = np.asarray(pred_traj, dtype=np.float64)
    gt_traj = np.asarray(gt_traj, dtype=np.float64)
    gt_mask = np.asarray(gt_mask, dtype=bool)
    assert pred_traj.shape == gt_traj.shape and gt_mask.shape == gt_traj.shape[:2], \
        (pred_traj.shape, gt_traj.shape, gt_mask.shape)
    num = len(gt_traj)
    if num == 0 or gt_traj.shape[1] == 0:
        return np.full(num, np.nan), np.full(num, np.nan), np.zeros(num, dtype=bool)
    errors = np.linalg.norm(pred_traj - gt_traj, axis=-1)  # (P, F)
    valid = gt_mask.any(axis=1)
    counts = gt_mask.sum(axis=1)
    ade = np.full(num, np.nan)
    ade[valid] = (errors * gt_mask).sum(axis=1)[valid] / counts[valid]
    last = gt_mask.shape[1] - 1 - np.argmax(gt_mask[:, ::-1], axis=1)  # last valid step
    fde = np.full(num, np.nan)
    fde[valid] = errors[np.arange(num), last][valid]
    return ade, fde, valid


def miss_rate(fde: np.ndarray, miss_thr: float = 2.0) -> float:
    """Fraction of agents whose final displacement error exceeds ``miss_thr`` metres (``nan`` if
    none)."""
    fde = np.asarray(fde, dtype=np.float64).reshape(-1)
    if len(fde) == 0:
        return float('nan')
    return float(np.mean(fde > miss_thr))


def end_to_end_prediction_accuracy(num_hits: int,
                                   num_false_positives: int,
                                   num_gt: int,
                                   alpha: float = 0.5) -> float:
    """EPA (ViP3D) = ``(hits - alpha * false_positives) / ground_truths``; ``nan`` when ``num_gt ==
    0``.

    Not clipped: with many false positives it is negative.
    """
    if num_gt <= 0:
        return float('nan')
    return float((num_hits - alpha * num_false_positives) / num_gt)


def min_displacement_errors(pred_modes: np.ndarray, gt_traj: np.ndarray,
                            gt_mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """minADE and minFDE over K predicted trajectories per agent (each minimum taken on its own, as nuScenes does:
    the mode with the best ADE need not be the one with the best FDE).

    Args:
        pred_modes: ``(P, K, F, 2)`` predicted centres of the K modes at t0+kΔ.
        gt_traj: ``(P, F, 2)``; gt_mask: ``(P, F)`` bool.

    Returns:
        min_ade ``(P,)``, min_fde ``(P,)`` (``nan`` where not valid) and valid ``(P,)``, as
        :func:`displacement_errors`.
    """
    pred_modes = np.asarray(pred_modes, dtype=np.float64)
    num, modes = pred_modes.shape[:2]
    gt_traj = np.asarray(gt_traj, dtype=np.float64)
    gt_mask = np.asarray(gt_mask, dtype=bool)
    if num == 0 or modes == 0:
        return np.full(num, np.nan), np.full(num, np.nan), np.zeros(num, dtype=bool)
    per_mode = [displacement_errors(pred_modes[:, k], gt_traj, gt_mask) for k in range(modes)]
    ade = np.stack([p[0] for p in per_mode], axis=1)  # (P, K)
    fde = np.stack([p[1] for p in per_mode], axis=1)
    valid = per_mode[0][2]
    min_ade, min_fde = np.full(num, np.nan), np.full(num, np.nan)
    min_ade[valid] = ade[valid].min(axis=1)
    min_fde[valid] = fde[valid].min(axis=1)
    return min_ade, min_fde, valid
