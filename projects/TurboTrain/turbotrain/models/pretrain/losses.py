"""Reconstruction losses: per-cell Chamfer distance on supervised (masked, occupied) cells and occupancy BCE."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmdet3d.registry import MODELS


def chamfer_distance(pred: Tensor, target: Tensor, target_valid: Tensor, squared: bool = True) -> Tensor:
    """Symmetric Chamfer distance of every cell's predicted and target point sets.

    ``CD(P, T) = mean_{p∈P} min_{t∈T} d(p, t) + mean_{t∈T} min_{p∈P} d(p, t)`` with ``d`` the squared Euclidean
    distance (``squared=True``, m²) or the Euclidean distance (m).

    Args:
        pred: ``(M, K, 3)`` predicted points per cell (any common frame, e.g. offsets in the ego cell).
        target: ``(M, P, 3)`` target points per cell, same frame, padded.
        target_valid: ``(M, P)`` bool; every cell must hold at least one valid target point.

    Returns:
        ``(M,)`` Chamfer distance per cell.
    """
    if pred.shape[0] == 0:
        return pred.new_zeros(0)
    diff = pred[:, :, None, :] - target[:, None, :, :]  # (M, K, P, 3)
    dist = (diff * diff).sum(-1)
    if not squared:
        dist = torch.sqrt(dist.clamp(min=1e-12))
    valid = target_valid[:, None, :].expand_as(dist)
    inf = torch.finfo(dist.dtype).max
    pred_to_target = dist.masked_fill(~valid, inf).min(dim=2).values.mean(dim=1)  # (M,)
    target_to_pred = dist.min(dim=1).values  # (M, P)
    num_valid = target_valid.sum(dim=1).clamp(min=1)
    target_to_pred = (target_to_pred * target_valid).sum(dim=1) / num_valid
    return pred_to_target + target_to_pred


@MODELS.register_module()
class ChamferLoss(nn.Module):
    """Mean per-cell Chamfer distance over the supervised cells, times ``loss_weight``.

    Args:
        loss_weight: weight of the loss.
        squared: squared Euclidean distances (m²) if True, else Euclidean (m).
    """

    def __init__(self, loss_weight: float = 1.0, squared: bool = True) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.squared = bool(squared)

    def forward(self, pred: Tensor, target: Tensor, target_valid: Tensor) -> Tensor:
        """Args as :func:`chamfer_distance`. Returns a scalar; zero (still attached to ``pred``) when M = 0."""
        if pred.shape[0] == 0:
            return pred.sum() * 0.0
        return self.loss_weight * chamfer_distance(pred, target, target_valid, self.squared).mean()


@MODELS.register_module()
class OccupancyLoss(nn.Module):
    """Binary cross-entropy (with logits) of per-cell occupancy, averaged over the evaluated cells.

    Args:
        loss_weight: weight of the loss.
        pos_weight: weight of the positive (occupied) term, or None for 1 (LiDAR BEV maps are mostly empty).
    """

    def __init__(self, loss_weight: float = 1.0, pos_weight: Optional[float] = None) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.pos_weight = pos_weight

    def forward(self, logits: Tensor, target: Tensor, valid: Optional[Tensor] = None) -> Tensor:
        """Args:
            logits: ``(B, Hb, Wb)`` occupancy logits.
            target: ``(B, Hb, Wb)`` bool / {0, 1}.
            valid: optional ``(B, Hb, Wb)`` bool, cells to evaluate (default: all).

        Returns:
            scalar loss.
        """
        pos_weight = None if self.pos_weight is None else logits.new_tensor(float(self.pos_weight))
        loss = F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype), pos_weight=pos_weight,
                                                  reduction='none')
        if valid is None:
            return self.loss_weight * loss.mean()
        valid = valid.to(loss.dtype)
        return self.loss_weight * (loss * valid).sum() / valid.sum().clamp(min=1.0)
