"""``turbotrain``: periodic conflict suppression with free updates in between (our reading of TurboTrain's
multi-task balancing; the paper does not publish its exact rule)."""
from typing import Dict, List, Optional

import torch

from .base import BalanceResult, BaseBalanceStrategy, gradient_stats, on_schedule, project_conflicts
from .loss_rate import LossRateWeights
from .registry import BALANCE_STRATEGIES


@BALANCE_STRATEGIES.register_module(name='turbotrain')
class TurboTrainStrategy(BaseBalanceStrategy):
    """Conflict-suppressing updates every ``interval`` updates after ``warmup`` updates, free updates in between.

    The first ``warmup`` updates are free updates with the fixed weights (``sum``), or with ``warmup_weights`` when
    given (a diagnostic: which task leads the warm-up, at the same balancing after it). Why: early on, the untrained
    heatmap's focal loss makes the detection gradient on the trunk many times the prediction gradient, so
    re-balancing from the first update would give detection a tiny weight and hold its loss back; after the warm-up
    the ratio of the two is moderate (the demo's logged ratios are in the balancing study page).

    On a conflict-suppressing update (``step >= warmup`` and ``(step − warmup) % interval == 0``, so the first update
    after the warm-up is one) with task gradients ``g_k`` on the shared parameters:

    1. **Measure**: pairwise cosines and the norm ratio ``max ‖g_k‖ / min ‖g_k‖`` (logged).
    2. **Re-balance magnitudes**: target weights ``r_k ∝ w_k · e_k^(−p)`` (``p = balance_power``) with the excess
       ``e_k = max(1, ‖g_k‖ / (τ · min_j ‖g_j‖))`` (``τ = max_norm_ratio`` ≥ 1), normalised so that
       ``Σ r_k = Σ w_k`` (fixed weights ``w``, 1 by default). With ``τ = 1`` (default) this is
       ``r_k ∝ w_k · ‖g_k‖^(−p)``: with ``p = 1`` the weighted gradients ``r_k g_k`` have norms proportional to ``w_k``
       (equal norms by default) while the total weight, and so the step-size scale, stays that of ``sum``; ``p = 0``
       keeps the fixed weights. With ``τ > 1`` only a dominating task is scaled down: tasks whose gradient is within
       ``τ`` times the smallest keep their fixed weights, and with ``p = 1`` no weighted gradient (per unit of its
       fixed weight) ends up more than ``τ`` times the smallest. The carried weights become
       ``λ ← m · λ + (1 − m) · r`` (``m = momentum``). A task with a zero gradient keeps its carried weight.
       With ``rebalance_only_on_conflict=True`` an update whose task gradients do not conflict (every pairwise
       cosine ≥ 0) targets the fixed weights instead, ``r = w``: a task that dominates without opposing another is
       left to lead (both losses go down along the sum), and magnitudes are re-balanced only where the weaker task
       would be overridden. Why: from a pretrained trunk the new detection head's gradient leads the trunk's for a
       long stretch, mostly without a conflict, and re-balancing those updates may be what costs detection there.
       Its measured effect was within the noise (balancing study page), so it is off by default.
       With ``rebalance='loss_rate'`` the weights come instead from the rate at which each task's loss decreases
       (FAMO's rule, :class:`LossRateWeights`): logits learned from the decrease of each log-loss between updates
       and weights ``S c z_k / ℓ_k``, updated at every update (free and suppressing) from the task losses of its first
       micro-step, and on a suppressing update evaluated at the losses averaged over its micro-steps. A task whose
       loss falls more slowly than the other's gains weight whatever its gradient norm. Why: FAMO's weights moved
       towards prediction further than the gradient-norm rule's, and prediction used the extra weight without
       costing detection. The recipe configs use it, with ``interval=10`` (the comparisons, including
       ``interval=3``, are in the balancing study page).
    3. **Suppress conflicts**: with ``h_k = λ_k g_k``, each ``h_i`` loses its component along every ``h_j`` it
       conflicts with (``h_i · h_j < 0``), PCGrad-style against the unprojected ``h_j``, in a fixed order; the shared
       gradient is ``Σ_i h_i``. Task-specific parameters get the gradient of ``Σ_k λ_k L_k``. With two tasks this is
       a re-weighting: the shared gradient is ``Σ_k c_k g_k`` with ``c_k = λ_k (1 + |cos| · ‖h_j‖ / ‖h_k‖)`` on a
       conflict, so the task with the smaller weighted gradient gains most.

    Free updates are one backward of ``Σ_k λ_k L_k`` with the weights carried from the last suppressing update; this
    costs the same as ``sum``, which keeps the average overhead near ``1 + (K − 1) / interval`` backward passes.

    Config: ``strategy=dict(type='turbotrain', interval=10, warmup=0, balance_power=1.0, max_norm_ratio=1.0,
    momentum=0.0, project=True, warmup_weights=None, rebalance_only_on_conflict=False, rebalance='grad_norm',
    rate_lr=0.025, rate_weight_decay=1e-3)``.

    Args:
        task_weights (dict, optional): fixed weights ``w``, see :class:`BaseBalanceStrategy`.
        interval (int): a conflict-suppressing update every ``interval`` optimizer updates.
        warmup (int): optimizer updates with the fixed weights before the first conflict-suppressing update.
        balance_power (float): ``p`` of the magnitude re-balancing (0 = off, 1 = equal weighted norms).
        max_norm_ratio (float): ``τ``, the ratio of task-gradient norms tolerated before a task counts as
            dominating and is scaled down (1 = every difference is re-balanced; ``inf`` = the fixed weights).
        momentum (float): ``m``, smoothing of the carried weights across suppressing updates.
        project (bool): whether to project conflicting components away on suppressing updates.
        eps (float): gradient norms at or below ``eps`` count as zero.
        warmup_weights (dict, optional): loss weight per task name during the warm-up (tasks not listed get 1.0);
            None uses ``task_weights``. The re-balancing after the warm-up still targets ``task_weights``.
        rebalance_only_on_conflict (bool): re-balance magnitudes only on suppressing updates whose task gradients
            conflict; the others target the fixed weights (step 2).
        rebalance (str): where the magnitudes come from: ``'grad_norm'`` (step 2's gradient-norm rule, with
            ``balance_power``, ``max_norm_ratio``, ``momentum``, ``warmup_weights``, ``rebalance_only_on_conflict``)
            or ``'loss_rate'`` (the loss-decrease-rate rule; those options must then keep their defaults).
        rate_lr (float): ``β`` of the loss-rate rule (its logits' step size); ``'loss_rate'`` only.
        rate_weight_decay (float): ``γ`` of the loss-rate rule (its logits' decay); ``'loss_rate'`` only.
    """
    REBALANCE_RULES = ('grad_norm', 'loss_rate')
    #: the gradient-norm rule's own options at their defaults: ``rebalance='loss_rate'`` requires these values
    GRAD_NORM_DEFAULTS = dict(balance_power=1.0, max_norm_ratio=1.0, momentum=0.0, warmup_weights=None,
                              rebalance_only_on_conflict=False)

    def __init__(self, task_weights=None, interval: int = 10, warmup: int = 0, balance_power: float = 1.0,
                 momentum: float = 0.0, project: bool = True, eps: float = 1e-12,
                 warmup_weights: Optional[Dict[str, float]] = None, max_norm_ratio: float = 1.0,
                 rebalance_only_on_conflict: bool = False, rebalance: str = 'grad_norm', rate_lr: float = 0.025,
                 rate_weight_decay: float = 1e-3) -> None:
        super().__init__(task_weights)
        if rebalance not in self.REBALANCE_RULES:
            raise ValueError(f'turbotrain: rebalance must be one of {self.REBALANCE_RULES}, got {rebalance!r}')
        if rebalance == 'loss_rate':
            given = dict(balance_power=balance_power, max_norm_ratio=max_norm_ratio, momentum=momentum,
                         warmup_weights=warmup_weights, rebalance_only_on_conflict=rebalance_only_on_conflict)
            changed = [name for name, value in given.items() if value != self.GRAD_NORM_DEFAULTS[name]]
            if changed:
                defaults = ', '.join(f'{name}={value}' for name, value in self.GRAD_NORM_DEFAULTS.items())
                raise ValueError(f"turbotrain: {', '.join(changed)} belong to rebalance='grad_norm'; with "
                                 f"rebalance='loss_rate' leave them at their defaults ({defaults})")
        self.rebalance = rebalance
        self.rate_lr = rate_lr
        self.rate_weight_decay = rate_weight_decay
        # the loss-rate rule reads the (rank-averaged) task losses at every micro-step
        self.needs_loss_values = rebalance == 'loss_rate'
        self.warmup_weights = None if warmup_weights is None else dict(warmup_weights)
        assert interval >= 1, 'interval must be >= 1'
        assert warmup >= 0, 'warmup must be >= 0'
        assert 0.0 <= momentum < 1.0, 'momentum must be in [0, 1)'
        assert max_norm_ratio >= 1.0, f'max_norm_ratio must be >= 1, got {max_norm_ratio}'
        self.max_norm_ratio = float(max_norm_ratio)
        self.rebalance_only_on_conflict = bool(rebalance_only_on_conflict)
        self.interval = interval
        self.warmup = warmup
        self.balance_power = balance_power
        self.momentum = momentum
        self.project = project
        self.eps = eps

    def init_state(self) -> None:
        if self.warmup_weights is None:
            self.weights: List[float] = self.base_weights()
        else:
            self.weights = [float(self.warmup_weights.get(name, 1.0)) for name in self.task_names]
        self.num_suppressing = 0
        self.num_conflicts = 0
        self.rates = (LossRateWeights(self.base_weights(), self.task_names, self.rate_lr, self.rate_weight_decay)
                      if self.rebalance == 'loss_rate' else None)

    def uses_task_grads(self, step: int) -> bool:
        return on_schedule(step, self.interval, self.warmup)

    def loss_weights(self, loss_values: Optional[torch.Tensor] = None, new_window: bool = True) -> List[float]:
        if self.rates is not None:
            assert loss_values is not None, "turbotrain with rebalance='loss_rate' needs the task-loss values"
            self.weights = self.rates.weights(loss_values, observe=new_window)
        return list(self.weights)

    def rebalanced_weights(self, gram: torch.Tensor, conflict: bool = True) -> torch.Tensor:
        """Step 2: the new carried weights λ from the task-gradient norms (``conflict``: whether any pair of task
        gradients conflicts; without one, ``rebalance_only_on_conflict`` targets the fixed weights)."""
        base = torch.tensor(self.base_weights(), dtype=gram.dtype)
        carried = torch.tensor(self.weights, dtype=gram.dtype)
        norms = gram.diagonal().clamp(min=0).sqrt()
        valid = norms > self.eps
        if not valid.any():
            return carried
        target = carried.clone()
        if self.rebalance_only_on_conflict and not conflict:
            target[valid] = base[valid]
        else:
            excess = (norms[valid] / (self.max_norm_ratio * norms[valid].min())).clamp(min=1.0)
            raw = base[valid] * excess.pow(-self.balance_power)
            target[valid] = raw * base[valid].sum() / raw.sum()
        return torch.where(valid, self.momentum * carried + (1 - self.momentum) * target, carried)

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        stats = gradient_stats(gram, eps=self.eps**2)
        conflict = stats['cos_min'] < 0
        if self.rates is None:
            weights = self.rebalanced_weights(gram, conflict=conflict)
        else:
            assert loss_values is not None, "turbotrain with rebalance='loss_rate' needs the task-loss values"
            weights = torch.tensor(self.rates.weights(loss_values, observe=False), dtype=gram.dtype)
        num_tasks = gram.shape[0]
        if self.project:
            weighted_gram = gram * weights[:, None] * weights[None, :]
            orders = [[j for j in range(num_tasks) if j != i] for i in range(num_tasks)]
            projection = project_conflicts(weighted_gram, orders, eps=self.eps**2)
        else:
            projection = torch.eye(num_tasks, dtype=gram.dtype)
        shared_coeffs = projection.sum(0) * weights

        self.weights = weights.tolist()
        self.num_suppressing += 1
        self.num_conflicts += int(conflict)
        stats['conflict'] = float(conflict)
        stats['conflict_frac'] = self.num_conflicts / self.num_suppressing
        return BalanceResult(shared_coeffs=shared_coeffs.tolist(), head_weights=list(self.weights), stats=stats)

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.task_names is not None:
            state.update(weights=list(self.weights), num_suppressing=self.num_suppressing,
                         num_conflicts=self.num_conflicts)
            if self.rates is not None:
                state.update(self.rates.state_dict())
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        if self.task_names is not None:
            self.weights = [float(w) for w in state['weights']]
            self.num_suppressing = int(state['num_suppressing'])
            self.num_conflicts = int(state['num_conflicts'])
            if self.rates is not None:
                self.rates.load_state_dict(state)
