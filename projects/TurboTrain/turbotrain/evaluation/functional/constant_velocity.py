"""Constant-velocity extrapolation: of ground-truth past tracks (the oracle-past baseline of :class:`V2XPnPMetric`)
and of detections at their model-estimated velocity (the baseline that reads no ground truth)."""
from typing import Optional

import numpy as np


def constant_velocity_trajectories(past_traj: np.ndarray,
                                   past_mask: np.ndarray,
                                   num_future: int,
                                   fallback_position: Optional[np.ndarray] = None) -> np.ndarray:
    """Extrapolate each track at the velocity between its last two valid past positions.

    History and future share one sampling interval Δ (docs/contract.md): past index ``j`` (0 =
    oldest, H-1 = t0) is at time ``t0 - (H-1-j)Δ``, future step ``k`` (1..F) at ``t0 + kΔ``. With
    the last two valid past indices ``i < j``, the velocity is ``v = (p_j - p_i) / (j - i)`` per
    step and the prediction for step ``k`` is ``p_j + v * (H - 1 - j + k)``. A track with a single
    valid past position stays there (v = 0); a track with none stays at ``fallback_position`` (e.g.
    its detection's centre), or at the origin if that is not given.

    Args:
        past_traj: ``(P, H, 2)`` past centres, ego frame at t0.
        past_mask: ``(P, H)`` bool, valid past steps.
        num_future: F.
        fallback_position: ``(P, 2)`` position used for tracks with no valid past step.

    Returns:
        ``(P, F, 2)`` float64 future centres at t0+Δ … t0+FΔ, ego frame at t0.
    """
    past_traj = np.asarray(past_traj, dtype=np.float64)
    past_mask = np.asarray(past_mask, dtype=bool)
    num, hist = past_mask.shape[:2] if past_mask.ndim == 2 else (0, 0)
    out = np.zeros((num, num_future, 2), dtype=np.float64)
    steps = np.arange(1, num_future + 1, dtype=np.float64)
    for p in range(num):
        valid = np.nonzero(past_mask[p])[0]
        if len(valid) == 0:
            if fallback_position is not None:
                out[p] = np.asarray(fallback_position[p], dtype=np.float64)[:2]
            continue
        j = valid[-1]
        velocity = np.zeros(2)
        if len(valid) >= 2:
            i = valid[-2]
            velocity = (past_traj[p, j] - past_traj[p, i]) / float(j - i)
        out[p] = past_traj[p, j] + velocity[None] * (hist - 1 - j + steps)[:, None]
    return out


def velocity_trajectories(centres: np.ndarray, velocities: np.ndarray, num_future: int) -> np.ndarray:
    """Extrapolate detections at their estimated velocity: step ``k`` (1..F) at ``c + k·v``.

    This reads only model outputs (a detection's centre at t0 and the velocity its model estimated, in metres per
    step Δ), so it is the constant-velocity baseline that needs no ground truth.

    Args:
        centres: ``(P, 2)`` (or wider; the first two columns are used) centres at t0, ego frame at t0.
        velocities: ``(P, 2)`` metres per Δ, ego frame at t0.
        num_future: F.

    Returns:
        ``(P, F, 2)`` float64 future centres at t0+Δ … t0+FΔ.
    """
    centres = np.asarray(centres, dtype=np.float64)[..., :2].reshape(-1, 2)
    velocities = np.asarray(velocities, dtype=np.float64)[..., :2].reshape(-1, 2)
    steps = np.arange(1, num_future + 1, dtype=np.float64)
    return centres[:, None, :] + steps[None, :, None] * velocities[:, None, :]
