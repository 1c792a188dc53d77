"""``famo``: Fast Adaptive Multitask Optimization (Liu et al., NeurIPS 2023) — a loss-weighting method with O(1)
cost per update (no per-task gradients)."""
from typing import Dict, List, Optional

import torch

from .base import BaseBalanceStrategy
from .loss_rate import LossRateWeights
from .registry import BALANCE_STRATEGIES


@BALANCE_STRATEGIES.register_module(name='famo')
class FAMOStrategy(BaseBalanceStrategy):
    """FAMO: every update is free, with weights that equalise the rate at which the task losses decrease.

    With logits ``ξ`` (K), ``z = softmax(ξ)``, task losses ``ℓ_k`` (minus ``min_losses``, clamped at ``eps``), the
    update direction is ``d = c Σ_k (z_k / ℓ_k) ∇ℓ_k`` with ``c = (Σ_k z_k / ℓ_k)⁻¹``, i.e. the loss weights are
    ``S · c z_k / ℓ_k`` (detached), ``S = Σ_k w_k`` scaling them to the total of the fixed weights (the paper has
    ``S = 1``; ``S`` only rescales the learning rate). The logits follow the paper's plain update
    ``ξ ← ξ − β (Jᵀ δ + γ ξ)``, ``δ = log ℓ_prev − log ℓ_now`` (the decrease of each log-loss since the previous
    update), ``J = diag(z) − z zᵀ`` the Jacobian of the softmax (the official code uses Adam for ξ instead).

    Our choices: ``ℓ_now`` is measured on the *next* batch (at the first micro-step of the next update) instead of a
    second forward pass on the same batch, so FAMO costs one backward like ``sum``; under DDP the task losses are
    averaged over ranks (one all-reduce of K scalars per micro-step) so the weights are identical on every rank. The
    fixed weights set the initial ``z ∝ w``.

    Config: ``strategy=dict(type='famo', lr=0.025, weight_decay=1e-3)``.

    Args:
        task_weights (dict, optional): fixed weights ``w`` (initial ``z`` and overall scale).
        lr (float): ``β``, step size of the logits.
        weight_decay (float): ``γ``, decay of the logits.
        min_losses (dict, optional): per-task lower bound of the loss (0 by default).
        eps (float): floor of ``ℓ_k − min_losses``.
    """
    needs_loss_values = True

    def __init__(self, task_weights=None, lr: float = 0.025, weight_decay: float = 1e-3,
                 min_losses: Optional[Dict[str, float]] = None, eps: float = 1e-8) -> None:
        super().__init__(task_weights)
        self.lr = lr
        self.weight_decay = weight_decay
        self.min_losses = dict(min_losses or {})
        self.eps = eps

    def init_state(self) -> None:
        self.rates = LossRateWeights(self.base_weights(), self.task_names, self.lr, self.weight_decay,
                                     self.min_losses, self.eps)

    def uses_task_grads(self, step: int) -> bool:
        return False

    def loss_weights(self, loss_values: Optional[torch.Tensor] = None, new_window: bool = True) -> List[float]:
        assert loss_values is not None, 'FAMO needs the task-loss values'
        return self.rates.weights(loss_values, observe=new_window)

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.task_names is not None:
            state.update(self.rates.state_dict())
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if self.task_names is not None:
            self.rates.load_state_dict(state)
