"""The interface every gradient-balancing strategy implements.

A strategy sees the tasks of one model (e.g. ``det`` and ``pred``) in a fixed order and answers three questions:

1. :meth:`BaseBalanceStrategy.uses_task_grads` — does optimizer update ``step`` need per-task gradients on the shared
   parameters (a *conflict-suppressing* update), or is it a *free* update (one backward of a weighted sum)?
2. :meth:`BaseBalanceStrategy.loss_weights` — on a free update, the weight of each task loss in that weighted sum.
3. :meth:`BaseBalanceStrategy.combine` — on a conflict-suppressing update, how to combine the per-task gradients.

Every rule used here (fixed weights, PCGrad, IMTL-G, TurboTrain's suppression) keeps the combined shared gradient in
the span of the task gradients, so :meth:`combine` receives only their Gram matrix ``G[i, j] = g_i · g_j`` (K×K,
float64, CPU) and returns coefficients ``c`` with ``g = Σ_k c_k g_k``. The wrapper computes ``G`` and applies ``c``
on the device; strategies stay small, exact and identical on every rank.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch


@dataclass
class BalanceResult:
    """What a conflict-suppressing update writes into the gradients.

    Attributes:
        shared_coeffs (K,): the shared (trunk) gradient is ``Σ_k shared_coeffs[k] · g_k`` with ``g_k`` the gradient of
            task k's loss on the shared parameters.
        head_weights (K,): the task-specific (non-shared) parameters get the gradient of ``Σ_k head_weights[k] · L_k``.
        stats: scalars to log (``cos``, ``norm_ratio``, ...), without the ``train/balance/`` prefix.
    """
    shared_coeffs: List[float]
    head_weights: List[float]
    stats: Dict[str, float] = field(default_factory=dict)


class BaseBalanceStrategy:
    """Base class: fixed per-task weights, task order, state for resume.

    Args:
        task_weights (dict, optional): fixed weight per task name (``{'det': 1.0, 'pred': 0.5}``); tasks not listed
            get 1.0. Strategies that adapt weights start from (and normalise towards the sum of) these.
    """
    #: whether :meth:`loss_weights` needs the (globally averaged) task-loss values of the current micro-step
    needs_loss_values: bool = False
    #: whether the strategy combines per-task gradients at every update from the Gram matrix alone (no schedule of
    #: its own, no loss values): such a strategy can run on TurboTrain's schedule through ``interval``
    combines_every_update: bool = False

    def __init__(self, task_weights: Optional[Dict[str, float]] = None) -> None:
        self.task_weights = dict(task_weights or {})
        self.task_names: Optional[List[str]] = None

    # ----------------------------------------------------------------------------------------------- task order
    def setup(self, task_names: Sequence[str]) -> None:
        """Fix the task order on first use (or check it against the order restored by :meth:`load_state_dict`)."""
        task_names = list(task_names)
        if self.task_names is None:
            self.task_names = task_names
            self.init_state()
        elif self.task_names != task_names:
            raise ValueError(f'task losses changed from {self.task_names} to {task_names}; the model must return '
                             'the same tasks in the same order at every iteration')

    def init_state(self) -> None:
        """Initialise the adaptive state once the tasks are known (subclasses with state override this)."""

    @property
    def num_tasks(self) -> int:
        assert self.task_names is not None, 'setup() was not called'
        return len(self.task_names)

    def base_weights(self) -> List[float]:
        """The fixed weights, in task order."""
        assert self.task_names is not None, 'setup() was not called'
        return [float(self.task_weights.get(name, 1.0)) for name in self.task_names]

    # ------------------------------------------------------------------------------------------------ interface
    def uses_task_grads(self, step: int) -> bool:
        """Whether optimizer update ``step`` (0-based) is conflict-suppressing (per-task gradients)."""
        raise NotImplementedError

    def loss_weights(self, loss_values: Optional[torch.Tensor] = None, new_window: bool = True) -> List[float]:
        """Weights of the task losses for a free update.

        Args:
            loss_values (K,): float64 CPU task-loss values of the current micro-step, averaged over ranks; only
                given when :attr:`needs_loss_values` is True.
            new_window: True on the first micro-step of an optimizer update (always True without accumulation).
        """
        return self.base_weights()

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        """Combine task gradients from their Gram matrix ``gram`` (K×K, float64, CPU) at update ``step``.

        ``loss_values`` (K,): only when :attr:`needs_loss_values`, the task losses averaged over the update's
        micro-steps and the ranks (float64, CPU); :meth:`loss_weights` has already seen each micro-step's."""
        raise NotImplementedError

    # -------------------------------------------------------------------------------------------------- resume
    def state_dict(self) -> dict:
        """State needed to continue identically after resume (subclasses extend it)."""
        return dict(task_names=None if self.task_names is None else list(self.task_names))

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""
        names = state.get('task_names')
        self.task_names = None if names is None else list(names)
        if self.task_names is not None:
            self.init_state()


def on_schedule(step: int, interval: int, warmup: int = 0) -> bool:
    """Whether update ``step`` (0-based) is conflict-suppressing on the periodic schedule: every ``interval``
    updates from update ``warmup`` on (``warmup``, ``warmup + interval``, ...)."""
    return step >= warmup and (step - warmup) % interval == 0


def gradient_stats(gram: torch.Tensor, eps: float = 1e-20) -> Dict[str, float]:
    """Cosines and norm ratio of the task gradients, from their Gram matrix.

    Returns ``cos`` (mean pairwise cosine; the cosine itself for two tasks), ``cos_min`` (smallest pairwise cosine)
    and ``norm_ratio`` (largest / smallest gradient norm). A zero gradient has cosine 0 with everything.
    """
    norms = gram.diagonal().clamp(min=0).sqrt()
    num_tasks = gram.shape[0]
    cosines = []
    for i in range(num_tasks):
        for j in range(i + 1, num_tasks):
            denom = norms[i] * norms[j]
            cosines.append(float(gram[i, j] / denom) if denom > eps else 0.0)
    stats = dict(cos=sum(cosines) / max(len(cosines), 1), cos_min=min(cosines) if cosines else 1.0)
    stats['norm_ratio'] = float(norms.max() / norms.min()) if norms.min() > eps else float('inf')
    return stats


def project_conflicts(gram: torch.Tensor, orders: Sequence[Sequence[int]], eps: float = 1e-20) -> torch.Tensor:
    """PCGrad projection expressed on coefficients.

    Task i's vector ``h_i`` starts as itself; for each other task j in ``orders[i]``, when ``h_i · h_j^0 < 0`` the
    component of ``h_i`` along the *original* ``h_j^0`` is removed: ``h_i ← h_i − (h_i · h_j^0) / ‖h_j^0‖² · h_j^0``.

    Args:
        gram (K, K): Gram matrix of the original vectors ``h^0``.
        orders: for each task i, the order in which the other tasks are visited.

    Returns:
        (K, K) matrix ``A`` with ``h_i = Σ_m A[i, m] h_m^0`` after projection; the PCGrad update is ``A.sum(0)``.
    """
    num_tasks = gram.shape[0]
    coeffs = torch.eye(num_tasks, dtype=gram.dtype)
    for i in range(num_tasks):
        for j in orders[i]:
            if j == i or gram[j, j] <= eps:
                continue
            dot = coeffs[i] @ gram[:, j]
            if dot < 0:
                coeffs[i, j] -= dot / gram[j, j]
    return coeffs
