"""``pcgrad``: projecting conflicting gradients at every update (Yu et al., "Gradient Surgery for Multi-Task
Learning", NeurIPS 2020)."""
from typing import List, Optional

import torch

from .base import BalanceResult, BaseBalanceStrategy, gradient_stats, project_conflicts
from .registry import BALANCE_STRATEGIES


@BALANCE_STRATEGIES.register_module(name='pcgrad')
class PCGradStrategy(BaseBalanceStrategy):
    """PCGrad on the shared parameters at every update.

    With ``h_k = w_k g_k`` (fixed weights ``w``), each ``h_i`` loses its component along every ``h_j`` it conflicts
    with (``h_i · h_j < 0``), visiting the other tasks in a random order; the shared gradient is ``Σ_i h_i``.
    Task-specific parameters get the gradient of ``Σ_k w_k L_k``, as in the paper.

    The random order is drawn from a generator seeded with ``(seed, step)``, so every rank (and a resumed run) draws
    the same order without carrying RNG state. With two tasks the order does not matter.

    The same combination as ``dict(type='torchjd', aggregator='PCGrad')`` given the same visiting order (tested);
    kept because it needs no optional dependency and the configs and archived studies name it.

    Config: ``strategy=dict(type='pcgrad', task_weights=None, seed=0)``.

    Args:
        task_weights (dict, optional): fixed weights, see :class:`BaseBalanceStrategy`.
        seed (int): seed of the visiting order.
    """

    combines_every_update = True

    def __init__(self, task_weights=None, seed: int = 0) -> None:
        super().__init__(task_weights)
        self.seed = seed

    def uses_task_grads(self, step: int) -> bool:
        return True

    def visiting_orders(self, step: int) -> List[List[int]]:
        """For every task, a random order of the others, the same on every rank for a given ``step``."""
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        orders = []
        for i in range(self.num_tasks):
            others = [j for j in torch.randperm(self.num_tasks, generator=generator).tolist() if j != i]
            orders.append(others)
        return orders

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        weights = torch.tensor(self.base_weights(), dtype=gram.dtype)
        weighted_gram = gram * weights[:, None] * weights[None, :]
        projection = project_conflicts(weighted_gram, self.visiting_orders(step))
        shared_coeffs = projection.sum(0) * weights
        return BalanceResult(shared_coeffs=shared_coeffs.tolist(), head_weights=weights.tolist(),
                             stats=gradient_stats(gram))
