"""``sum``: the plain weighted sum of task losses (the baseline every other strategy is timed against)."""
from typing import Optional

import torch

from .base import BalanceResult, BaseBalanceStrategy, gradient_stats
from .registry import BALANCE_STRATEGIES


@BALANCE_STRATEGIES.register_module(name='sum')
class SumStrategy(BaseBalanceStrategy):
    """Every update is free: one backward of ``Σ_k w_k L_k`` with the fixed ``task_weights``.

    Config: ``strategy=dict(type='sum', task_weights=dict(det=1.0, pred=1.0))``.
    """

    def uses_task_grads(self, step: int) -> bool:
        return False

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        weights = self.base_weights()
        return BalanceResult(shared_coeffs=weights, head_weights=weights, stats=gradient_stats(gram))
