"""Loss weights that equalise the rate at which the task losses decrease (FAMO's rule, Liu et al., NeurIPS 2023).

Shared by :class:`FAMOStrategy` (every update free, weighted by this rule) and :class:`TurboTrainStrategy` with
``rebalance='loss_rate'`` (the same magnitudes, plus TurboTrain's periodic conflict projection).
"""
from typing import Dict, List, Optional, Sequence

import torch


class LossRateWeights:
    """Softmax logits ``ξ`` (one per task) learned from the observed decrease of each log-loss.

    With ``z = softmax(ξ)`` and task losses ``ℓ_k`` (minus ``min_losses``, clamped at ``eps``) the loss weights are
    ``S · c z_k / ℓ_k`` with ``c = (Σ_k z_k / ℓ_k)⁻¹`` and ``S = Σ_k w_k`` (the fixed weights' total), so that the
    weighted update is ``d = S c Σ_k (z_k / ℓ_k) ∇ℓ_k``: the gradient of ``S c Σ_k z_k log ℓ_k``. The logits follow
    ``ξ ← ξ − β (Jᵀ δ + γ ξ)``, ``δ = log ℓ_prev − log ℓ_now`` (the decrease of each log-loss since the previous
    observation), ``J = diag(z) − z zᵀ`` the Jacobian of the softmax: a task whose loss decreased more than the
    weighted average loses weight, the other gains it.

    Observations are the task losses at the first micro-step of each optimizer update (``ℓ_now`` of one update is
    the batch after the update that ``ℓ_prev`` weighted), so no second forward pass is needed.

    Args:
        base_weights (K,): the fixed weights ``w``; initial ``z ∝ w``; ``S = Σ w``.
        task_names (K,): task order, for ``min_losses``.
        lr (float): ``β``, step size of the logits.
        weight_decay (float): ``γ``, decay of the logits.
        min_losses (dict, optional): per-task lower bound of the loss (0 by default).
        eps (float): floor of ``ℓ_k − min_losses``.
    """

    def __init__(self, base_weights: Sequence[float], task_names: Sequence[str], lr: float, weight_decay: float,
                 min_losses: Optional[Dict[str, float]] = None, eps: float = 1e-8) -> None:
        base = torch.tensor(list(base_weights), dtype=torch.float64)
        if not bool((base > 0).all()):
            weights = dict(zip(task_names, base.tolist()))
            raise ValueError(f'loss-rate weighting (famo, turbotrain with rebalance=loss_rate) needs positive '
                             f'task_weights: the initial shares are log(w / sum w); got {weights}')
        self.total = float(base.sum())
        self.floor = torch.tensor([float((min_losses or {}).get(name, 0.0)) for name in task_names],
                                  dtype=torch.float64)
        self.lr = lr
        self.weight_decay = weight_decay
        self.eps = eps
        self.logits: List[float] = (base / base.sum()).log().tolist()
        self.prev_log_losses: Optional[List[float]] = None

    def weights(self, loss_values: torch.Tensor, observe: bool = True) -> List[float]:
        """Loss weights for task losses ``loss_values`` (K,); ``observe``: update the logits from them first (once
        per optimizer update, at its first micro-step). Non-finite losses are never observed."""
        losses = (loss_values.to(torch.float64) - self.floor).clamp(min=self.eps)
        log_losses = losses.log()
        logits = torch.tensor(self.logits, dtype=torch.float64)
        if observe and torch.isfinite(log_losses).all():
            if self.prev_log_losses is not None:
                decrease = torch.tensor(self.prev_log_losses, dtype=torch.float64) - log_losses
                z = logits.softmax(0)
                grad = z * decrease - z * (z @ decrease)
                logits = logits - self.lr * (grad + self.weight_decay * logits)
                self.logits = logits.tolist()
            self.prev_log_losses = log_losses.tolist()
        z = logits.softmax(0)
        scale = self.total / (z / losses).sum()
        return (scale * z / losses).tolist()

    def state_dict(self) -> dict:
        return dict(logits=list(self.logits), prev_log_losses=self.prev_log_losses)

    def load_state_dict(self, state: dict) -> None:
        self.logits = [float(v) for v in state['logits']]
        prev = state.get('prev_log_losses')
        self.prev_log_losses = None if prev is None else [float(v) for v in prev]
