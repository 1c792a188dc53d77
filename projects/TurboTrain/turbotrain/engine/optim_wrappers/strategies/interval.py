"""``interval``: TurboTrain's schedule for any gradient-combining method — its conflict-suppressing update every
``interval`` updates, free updates carrying its weights in between."""
from typing import List, Optional, Union

import torch

from .base import BalanceResult, BaseBalanceStrategy, on_schedule
from .registry import BALANCE_STRATEGIES, build_strategy


@BALANCE_STRATEGIES.register_module(name='interval')
class IntervalStrategy(BaseBalanceStrategy):
    """Run ``method`` (a strategy that combines the task gradients at every update) only every ``interval`` updates.

    Update ``step`` is conflict-suppressing when ``step >= warmup`` and ``(step − warmup) % interval == 0``: the
    method combines the task gradients as it would at every update (shared gradient ``Σ_k c_k g_k``, task-specific
    parameters ``Σ_k head_weights_k ∇L_k``). The updates in between are free: one backward of ``Σ_k c_k L_k`` with
    the coefficients ``c`` of the last suppressing update, so while the gradients change slowly a free update
    repeats the method's combination at the cost of ``sum`` (the average cost is about ``1 + (K − 1) / interval``
    backward passes plus the method's solve every ``interval`` updates). The first ``warmup`` updates use the
    method's fixed weights. ``interval=1`` is the method itself.

    This generalises ``turbotrain``'s free / conflict-suppressing alternation to every method; ``turbotrain`` keeps
    its own rule (it carries its re-balanced weights ``λ``, before projection, and can re-balance from the loss
    rates on every update).

    Config: ``strategy=dict(type='interval', interval=10, warmup=0, method=dict(type='torchjd',
    aggregator='NashMTL'))``; ``method`` may also be ``dict(type='pcgrad')`` or ``dict(type='imtl_g')``.

    Args:
        method (dict | BaseBalanceStrategy): the method (its ``task_weights`` are the fixed weights).
        interval (int): a conflict-suppressing update every ``interval`` optimizer updates.
        warmup (int): free updates with the fixed weights before the first conflict-suppressing update.
    """

    def __init__(self, method: Union[dict, BaseBalanceStrategy], interval: int = 10, warmup: int = 0) -> None:
        self.method: BaseBalanceStrategy = build_strategy(method)
        if not self.method.combines_every_update:
            raise ValueError(f'interval: method {type(self.method).__name__} does not combine task gradients at every '
                             'update from their Gram matrix; use pcgrad, imtl_g or torchjd (turbotrain has its own '
                             'interval)')
        if interval < 1 or warmup < 0:
            raise ValueError(f'interval: interval must be >= 1 and warmup >= 0, got {interval} and {warmup}')
        super().__init__(self.method.task_weights)
        self.interval = interval
        self.warmup = warmup

    def setup(self, task_names) -> None:
        super().setup(task_names)
        self.method.setup(task_names)

    def init_state(self) -> None:
        self.weights: List[float] = self.base_weights()
        self.num_suppressing = 0

    def uses_task_grads(self, step: int) -> bool:
        return on_schedule(step, self.interval, self.warmup)

    def loss_weights(self, loss_values: Optional[torch.Tensor] = None, new_window: bool = True) -> List[float]:
        return list(self.weights)

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        result = self.method.combine(gram, step)
        self.weights = [float(c) for c in result.shared_coeffs]
        self.num_suppressing += 1
        return result

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.task_names is not None:
            state.update(weights=list(self.weights), num_suppressing=self.num_suppressing)
            state.update({f'method.{key}': value for key, value in self.method.state_dict().items()
                          if key != 'task_names'})
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        method_state = {key[len('method.'):]: value for key, value in state.items() if key.startswith('method.')}
        method_state['task_names'] = state.get('task_names')
        self.method.load_state_dict(method_state)
        if self.task_names is not None:
            self.weights = [float(w) for w in state['weights']]
            self.num_suppressing = int(state['num_suppressing'])
