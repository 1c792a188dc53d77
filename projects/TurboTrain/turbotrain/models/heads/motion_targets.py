"""Velocity targets of ground-truth objects from their annotated tracks (ego frame at t0, metres per step Δ)."""
from typing import Tuple

import torch
from torch import Tensor


def last_valid_index(mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Index of the last True of each row of ``mask (N, T)`` → ``index (N,)`` (0 where none), ``any (N,)``."""
    steps = mask.shape[1]
    if steps == 0:
        zeros = mask.new_zeros(mask.shape[0], dtype=torch.long)
        return zeros, zeros.bool()
    index = steps - 1 - mask.flip(1).long().argmax(dim=1)
    return index, mask.any(dim=1)


def velocity_targets(centres: Tensor, future: Tensor, future_mask: Tensor, past: Tensor,
                     past_mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Constant velocity that best explains each object's annotated motion, in metres per step Δ.

    With valid future steps ``k ∈ K`` (1-based: future index ``k-1`` is at ``t0 + kΔ``), the velocity is the least
    squares fit of the line through the current centre, ``v = Σ_K k (f_k - c) / Σ_K k²`` — the constant velocity
    whose extrapolation ``c + k v`` has the smallest squared error on the annotated future, so a head regressed to it
    and decoded at constant velocity aims at the best that decoding can do. Objects with no valid future step fall
    back to the last two valid past positions ``i < j`` (past index ``H-1`` = t0): ``v = (p_j - p_i) / (j - i)``.
    Objects with neither get no target (``valid`` False, velocity 0).

    Args:
        centres: ``(N, 2)`` box centres at t0.
        future: ``(N, F, 2)`` centres at t0+Δ … t0+FΔ; ``future_mask`` ``(N, F)`` bool.
        past: ``(N, H, 2)`` centres at t0-(H-1)Δ … t0; ``past_mask`` ``(N, H)`` bool.

    Returns:
        ``velocity (N, 2)`` in metres per Δ, ``valid (N,)`` bool.
    """
    dtype = centres.dtype
    future_mask = future_mask.bool()
    past_mask = past_mask.bool()
    steps = torch.arange(1, future.shape[1] + 1, device=centres.device, dtype=dtype)  # (F,)
    weight = future_mask.to(dtype) * steps  # (N, F): k on valid steps
    numerator = (weight[..., None] * (future.to(dtype) - centres[:, None, :])).sum(dim=1)  # (N, 2)
    denominator = (weight * steps).sum(dim=1)  # Σ k²
    has_future = future_mask.any(dim=1)
    velocity = numerator / denominator.clamp(min=1.0)[:, None]

    j, has_j = last_valid_index(past_mask)
    index = torch.arange(past_mask.shape[1], device=centres.device)
    i, has_i = last_valid_index(past_mask & (index[None] < j[:, None]))
    has_past = has_j & has_i
    if has_past.any():
        rows = torch.arange(len(centres), device=centres.device)
        past = past.to(dtype)
        gap = (j - i).clamp(min=1).to(dtype)
        past_velocity = (past[rows, j] - past[rows, i]) / gap[:, None]
        use_past = ~has_future & has_past
        velocity = torch.where(use_past[:, None], past_velocity, velocity)
    valid = has_future | has_past
    return torch.where(valid[:, None], velocity, torch.zeros_like(velocity)), valid
