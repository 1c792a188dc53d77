"""An mmengine ``OptimWrapper`` that balances the gradients of several tasks on the shared trunk.

How it plugs into the standard train loop (no hook needed):

* The model's ``parse_losses`` returns the summed loss with ``loss.task_losses = OrderedDict(det=..., pred=...)``
  attached (see ``docs/contract.md``). ``update_params(loss)`` reads that attribute; without it the wrapper behaves
  exactly like :class:`mmengine.optim.OptimWrapper` (plus AMP, if enabled).
* The shared parameters are those of ``model.<shared_module>`` (``model.trunk`` by default). ``BaseModel.train_step``
  and ``MMDistributedDataParallel.train_step`` both call ``optim_wrapper.optim_context(model)`` before the forward
  pass; the wrapper resolves the shared parameters from that model on its first call (unwrapping DDP). Custom loops
  that never call ``optim_context`` call :meth:`BalancedOptimWrapper.register_model` once instead.
* Free updates: one backward of ``Σ_k w_k L_k`` (weights from the strategy); under DDP the ordinary backward
  all-reduces as usual. Conflict-suppressing updates: per-task gradients by ``torch.autograd.grad`` on every optimised
  parameter, accumulated over micro-steps in one flat buffer, averaged over ranks with ONE all-reduce, combined
  identically on every rank (shared parameters: the strategy's combination; other parameters: the gradient of
  ``Σ_k head_weights_k L_k``) and added into ``.grad``; then the usual clip/step/zero_grad. The forward of such an
  update runs under ``model.no_sync()`` (entered by :meth:`optim_context`) so DDP's reducer is never left waiting.

Each rank thus applies the update a single process would apply to the global batch (for losses that are means over
equally sized per-rank batches), with every strategy.
"""
from contextlib import contextmanager, nullcontext
from operator import attrgetter
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch.optim import Optimizer

from mmdet3d.registry import OPTIM_WRAPPERS
from .strategies import BaseBalanceStrategy, build_strategy
from .task_gradients import TaskGradientBuffer


@OPTIM_WRAPPERS.register_module()
class BalancedOptimWrapper(OptimWrapper):
    """Gradient-balancing optimizer wrapper for multi-task (detection + prediction) fine-tuning.

    Args:
        optimizer (Optimizer): the optimizer (built by mmengine's optimizer constructor from the config).
        strategy (dict | BaseBalanceStrategy): ``dict(type=name, **kwargs)`` of a registered strategy: ``'sum'``,
            ``'pcgrad'``, ``'imtl_g'``, ``'famo'``, ``'turbotrain'``, ``'torchjd'`` (a torchjd aggregator,
            ``aggregator='UPGrad'``, ...) or ``'interval'`` (any gradient-combining method on TurboTrain's schedule,
            ``method=dict(...)``). Defaults to ``dict(type='sum')``.
        shared_module (str, optional): dotted attribute path of the shared module in the (unwrapped) model, default
            ``'trunk'``. ``None`` treats every optimised parameter as shared.
        use_amp (bool): autocast the forward pass (inside :meth:`optim_context`). On CUDA the default dtype is
            float16 with a ``GradScaler``; on CPU it is bfloat16 without scaling. float16 on CPU also works with a
            (CPU) ``GradScaler``.
        amp_dtype (str, optional): ``'float16'`` or ``'bfloat16'``; defaults as above.
        loss_scale (str | float | dict | None): ``GradScaler`` setting when ``amp_dtype`` is float16, as in
            :class:`mmengine.optim.AmpOptimWrapper`: ``'dynamic'``, a fixed float, or ``GradScaler`` kwargs;
            ``None`` disables scaling.
        accumulative_counts (int): gradient accumulation, as :class:`OptimWrapper`. A conflict-suppressing update
            accumulates the per-task gradients over its micro-steps and combines them once.
        clip_grad (dict, optional): as :class:`OptimWrapper`, applied to the combined gradient.

    AMP details: with a ``GradScaler`` every task loss is scaled before its backward; on suppressing updates the
    per-task gradients are unscaled (after the all-reduce) before any cosine/projection; if any is inf/nan the
    strategy's state is left untouched and the (non-finite) gradient goes on to ``GradScaler.step``, which skips
    the step and backs the scale off, exactly as on a free update. Without a scaler (fp32, bf16) a non-finite
    gradient is applied as a plain ``OptimWrapper`` would, but never enters the strategy's state.

    Logs (``train/balance/…``, MessageHub scalars): on every update ``weight_{task}`` (the task-loss weights); on
    each conflict-suppressing update also the strategy's statistics (``cos``, ``cos_min``, ``norm_ratio``, and
    ``conflict``/``conflict_frac`` for ``turbotrain``), ``grad_norm_{task}`` (the norm of task k's unweighted gradient
    on the shared parameters, ``‖g_k‖``) and ``shared_coeff_{task}`` (``c_k`` of the combined shared gradient
    ``Σ_k c_k g_k``). ``shared_coeff_k / weight_k`` is what the combination (a projection) did to task k on top of
    its weight: 1 where nothing was projected; with two tasks and PCGrad-style projection (``pcgrad``,
    ``turbotrain``) it is ``1 + max(0, −cos) · ‖λ_j g_j‖ / ‖λ_k g_k‖`` (λ the weights), so the projection is a
    re-weighting that favours the task whose weighted gradient is the smaller.

    Steps are counted in optimizer updates (``interval`` of ``turbotrain`` too), saved in :meth:`state_dict`
    together with the strategy's state, and restored by :meth:`load_state_dict` (Runner ``--resume``).

    Examples:
        >>> optim_wrapper = dict(
        ...     type='BalancedOptimWrapper',
        ...     optimizer=dict(type='AdamW', lr=2e-4, weight_decay=0.01),
        ...     clip_grad=dict(max_norm=10, norm_type=2),
        ...     strategy=dict(type='turbotrain', interval=10, balance_power=1.0, momentum=0.0),
        ...     # or dict(type='sum', task_weights=dict(det=1.0, pred=1.0)), dict(type='pcgrad'),
        ...     # dict(type='imtl_g'), dict(type='famo', lr=0.025, weight_decay=1e-3),
        ...     # dict(type='torchjd', aggregator='UPGrad'), dict(type='torchjd', aggregator='CAGrad', c=0.4),
        ...     # dict(type='interval', interval=10, method=dict(type='torchjd', aggregator='NashMTL'))
        ...     shared_module='trunk')
    """

    def __init__(self,
                 optimizer: Optimizer,
                 strategy: Union[dict, BaseBalanceStrategy, None] = None,
                 shared_module: Optional[str] = 'trunk',
                 use_amp: bool = False,
                 amp_dtype: Optional[str] = None,
                 loss_scale: Union[str, float, dict, None] = 'dynamic',
                 accumulative_counts: int = 1,
                 clip_grad: Optional[dict] = None) -> None:
        super().__init__(optimizer, accumulative_counts=accumulative_counts, clip_grad=clip_grad)
        self.strategy: BaseBalanceStrategy = build_strategy(strategy if strategy is not None else dict(type='sum'))
        self.shared_module = shared_module
        self._shared_params: Optional[List[nn.Parameter]] = None
        self._shared_ids: Optional[set] = None
        self._process_group = None
        self._num_updates = 0
        self._task_grads: Optional[TaskGradientBuffer] = None
        self._window_losses: List[torch.Tensor] = []  # task losses of a suppressing update's micro-steps
        self._unsynced_forward = False

        self.use_amp = use_amp
        self.device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
        if amp_dtype is None:
            amp_dtype = 'float16' if self.device_type == 'cuda' else 'bfloat16'
        assert amp_dtype in ('float16', 'bfloat16'), f'amp_dtype must be float16 or bfloat16, got {amp_dtype}'
        self.amp_dtype = getattr(torch, amp_dtype)
        self.loss_scaler: Optional[torch.amp.GradScaler] = None
        self._scale_update_param: Optional[float] = None
        if use_amp and self.amp_dtype == torch.float16 and loss_scale is not None:
            if loss_scale == 'dynamic':
                self.loss_scaler = torch.amp.GradScaler(self.device_type)
            elif isinstance(loss_scale, (int, float)):
                self._scale_update_param = float(loss_scale)
                self.loss_scaler = torch.amp.GradScaler(self.device_type, init_scale=float(loss_scale))
            elif isinstance(loss_scale, dict):
                self.loss_scaler = torch.amp.GradScaler(self.device_type, **loss_scale)
            else:
                raise TypeError(f'loss_scale must be "dynamic", a float, a dict or None, got {loss_scale!r}')

    # ------------------------------------------------------------------------------------------- model hand-off
    def register_model(self, model: nn.Module) -> None:
        """Remember the shared parameters (``model.<shared_module>``) and DDP's process group.

        Called automatically by :meth:`optim_context` on its first use; call it yourself in loops that do not use
        :meth:`optim_context` (only possible without DDP, see the module docstring).
        """
        module = model.module if is_model_wrapper(model) else model
        self._process_group = getattr(model, 'process_group', None)
        if self.shared_module is None:
            self._shared_params = list(module.parameters())
        else:
            try:
                shared = attrgetter(self.shared_module)(module)
            except AttributeError as error:
                raise AttributeError(f'BalancedOptimWrapper: the model {type(module).__name__} has no '
                                     f'`{self.shared_module}` (shared_module); set shared_module') from error
            self._shared_params = list(shared.parameters())
        self._shared_ids = {id(p) for p in self._shared_params}

    # --------------------------------------------------------------------------------------------- train step
    def _is_suppressing_update(self) -> bool:
        """Whether the current optimizer update uses per-task gradients."""
        return self.strategy.uses_task_grads(self._num_updates)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Forward-pass context: DDP ``no_sync`` for accumulation micro-steps (as mmengine) and for every micro-step
        of a conflict-suppressing update, plus autocast when ``use_amp``."""
        if self._shared_ids is None:
            self.register_model(model)
        suppressing = self._is_suppressing_update()
        can_block = hasattr(model, 'no_sync')
        block = can_block and (not self.should_sync() or suppressing)
        # a sync mmengine would have done is skipped: made up for in update_params if the model has no task losses
        self._unsynced_forward = can_block and suppressing and self.should_sync()
        sync_context = model.no_sync() if block else nullcontext()
        amp_context = (torch.autocast(device_type=self.device_type, dtype=self.amp_dtype)
                       if self.use_amp else nullcontext())
        with sync_context, amp_context:
            yield

    def update_params(  # type: ignore[override]
            self,
            loss: torch.Tensor,
            step_kwargs: Optional[Dict] = None,
            zero_kwargs: Optional[Dict] = None) -> None:
        """Backward (free or per-task), then clip/step/zero_grad when the accumulation window is complete.

        Args:
            loss (Tensor): the parsed loss; its ``task_losses`` attribute (an ordered ``{task: loss}``), when present
                and non-empty, switches on balancing. The wrapper assumes ``loss == Σ task_losses``.
            step_kwargs (dict, optional): passed to ``optimizer.step``.
            zero_kwargs (dict, optional): passed to ``optimizer.zero_grad``.
        """
        step_kwargs = step_kwargs or {}
        zero_kwargs = zero_kwargs or {}
        task_losses = getattr(loss, 'task_losses', None)
        if not task_losses:
            self.backward(self.scale_loss(loss))
            if self._unsynced_forward:
                self._all_reduce_grads()
        else:
            names = list(task_losses.keys())
            values = list(task_losses.values())
            self.strategy.setup(names)
            if self._is_suppressing_update():
                self._accumulate_task_grads(values)
            else:
                self._backward_weighted(values)
        self._unsynced_forward = False

        if self.should_update():
            if self._task_grads is not None:
                self._apply_task_grads()
            self.step(**step_kwargs)
            self.zero_grad(**zero_kwargs)
            self._num_updates += 1
            if self.strategy.task_names is not None and not self.strategy.needs_loss_values:
                self._log_weights(self.strategy.loss_weights())

    def _starts_update(self) -> bool:
        """Whether the current micro-step is the first of an optimizer update (its accumulation window)."""
        return self._inner_count % self._accumulative_counts == 0

    def _backward_weighted(self, values: Sequence[torch.Tensor]) -> None:
        """Free micro-step: one backward of ``Σ_k w_k L_k``."""
        new_window = self._starts_update()
        loss_values = self._global_loss_values(values) if self.strategy.needs_loss_values else None
        weights = self.strategy.loss_weights(loss_values, new_window)
        if loss_values is not None and new_window:
            self._log_weights(weights)
        weighted = sum(weight * value for weight, value in zip(weights, values))
        self.backward(self.scale_loss(weighted))

    def _accumulate_task_grads(self, values: Sequence[torch.Tensor]) -> None:
        """Conflict-suppressing micro-step: add each task's gradient to the flat buffer (no ``.grad`` touched).

        A strategy that reads the task losses sees them here as on a free micro-step (its loss-based state advances
        at the window's first micro-step) and gets their window mean in :meth:`BaseBalanceStrategy.combine`."""
        if self.strategy.needs_loss_values:
            loss_values = self._global_loss_values(values)
            self.strategy.loss_weights(loss_values, self._starts_update())
            self._window_losses.append(loss_values)
        if self._task_grads is None:
            params = self._ordered_params()
            self._task_grads = TaskGradientBuffer(params[0] + params[1], len(params[0]), len(values))
        for task, value in enumerate(values):
            scaled = self.scale_loss(value)
            if self.loss_scaler is not None:
                scaled = self.loss_scaler.scale(scaled)
            self._task_grads.accumulate(task, scaled, retain_graph=task < len(values) - 1)
        self._inner_count += 1

    def _apply_task_grads(self) -> None:
        """All-reduce the per-task gradients once, combine them, add the result into ``.grad``."""
        buffer, self._task_grads = self._task_grads, None
        window_losses, self._window_losses = self._window_losses, []
        buffer.all_reduce_mean(self._process_group)
        grads = buffer.task_matrix()
        scale = self.loss_scaler.get_scale() if self.loss_scaler is not None else None
        if scale is not None:
            grads = grads / scale
        if bool(torch.isfinite(grads).all()):
            shared = grads[:, :buffer.numel_shared]
            gram = (shared @ shared.T).to(torch.float64).cpu()
            loss_values = torch.stack(window_losses).mean(0) if window_losses else None
            result = self.strategy.combine(gram, self._num_updates, loss_values)
            shared_coeffs = torch.tensor(result.shared_coeffs, dtype=grads.dtype, device=grads.device)
            head_weights = torch.tensor(result.head_weights, dtype=grads.dtype, device=grads.device)
            combined = torch.cat([shared_coeffs @ shared, head_weights @ grads[:, buffer.numel_shared:]])
            self._log_stats(result.stats)
            self._log_per_task('grad_norm', gram.diagonal().clamp(min=0).sqrt().tolist())
            self._log_per_task('shared_coeff', result.shared_coeffs)
            if self.strategy.needs_loss_values:  # otherwise logged after every update in update_params
                self._log_weights(result.head_weights)
        else:
            # leave the strategy state untouched; the non-finite gradient goes on to the step, where a GradScaler
            # skips it (and backs off), exactly as for a free update
            weights = torch.tensor(self.strategy.base_weights(), dtype=grads.dtype, device=grads.device)
            combined = weights @ grads
        if scale is not None:
            combined = combined * scale
        buffer.write_grads(combined)

    def _ordered_params(self):
        """Optimised parameters that require grad: (shared, others), each in param-group order."""
        if self._shared_ids is None:
            raise RuntimeError('BalancedOptimWrapper does not know the shared parameters: train through '
                               '`model.train_step` (which enters optim_context) or call register_model(model)')
        seen, shared, others = set(), [], []
        for group in self.optimizer.param_groups:
            for param in group['params']:
                if not param.requires_grad or id(param) in seen:
                    continue
                seen.add(id(param))
                (shared if id(param) in self._shared_ids else others).append(param)
        return shared, others

    def _global_loss_values(self, values: Sequence[torch.Tensor]) -> torch.Tensor:
        """Task-loss values averaged over ranks, (K,) float64 on CPU."""
        stacked = torch.stack([value.detach().to(torch.float64) for value in values])
        if dist.is_available() and dist.is_initialized() and dist.get_world_size(self._process_group) > 1:
            dist.all_reduce(stacked, group=self._process_group)
            stacked = stacked / dist.get_world_size(self._process_group)
        return stacked.to(torch.float64).cpu()

    def _all_reduce_grads(self) -> None:
        """Average ``.grad`` over ranks with one flat all-reduce (fallback when a no_sync forward had no tasks).

        Parameters without a gradient on this rank contribute zeros plus a "used" flag of 0, so the buffers line up
        on every rank and a parameter no rank used keeps ``.grad = None``.
        """
        if not (dist.is_available() and dist.is_initialized()):
            return
        world_size = dist.get_world_size(self._process_group)
        params = list(dict.fromkeys(p for group in self.optimizer.param_groups for p in group['params']
                                    if p.requires_grad))
        if world_size == 1 or not params:
            return
        grads = [p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel()) for p in params]
        used = params[0].new_tensor([float(p.grad is not None) for p in params])
        flat = torch.cat(grads + [used])
        dist.all_reduce(flat, group=self._process_group)
        flat.div_(world_size)
        sizes = [p.numel() for p in params]
        numel = sum(sizes)
        for param, grad, is_used in zip(params, torch.split(flat[:numel], sizes), (flat[numel:] > 0).tolist()):
            if not is_used:
                continue
            if param.grad is None:
                param.grad = grad.view_as(param).to(param.dtype)
            else:
                param.grad.copy_(grad.view_as(param))

    # ----------------------------------------------------------------------------------------------- AMP paths
    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """``loss.backward()``, through the ``GradScaler`` when one is used."""
        if self.loss_scaler is not None:
            loss = self.loss_scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Clip (after unscaling) and step, as :class:`OptimWrapper` / :class:`AmpOptimWrapper`."""
        if self.loss_scaler is None:
            super().step(**kwargs)
            return
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    # ---------------------------------------------------------------------------------------------------- logs
    def _log_stats(self, stats: Dict[str, float]) -> None:
        message_hub = MessageHub.get_current_instance()
        for key, value in stats.items():
            message_hub.update_scalar(f'train/balance/{key}', float(value))

    def _log_weights(self, weights: Sequence[float]) -> None:
        self._log_per_task('weight', weights)

    def _log_per_task(self, key: str, values: Sequence[float]) -> None:
        """Log ``train/balance/{key}_{task}`` for each task, in task order."""
        message_hub = MessageHub.get_current_instance()
        for name, value in zip(self.strategy.task_names, values):
            message_hub.update_scalar(f'train/balance/{key}_{name}', float(value))

    # -------------------------------------------------------------------------------------------------- resume
    def state_dict(self) -> dict:
        """Optimizer state plus ``balance`` (strategy state, update count) and ``loss_scaler`` when used."""
        state = super().state_dict()
        state['balance'] = dict(strategy=self.strategy.state_dict(), num_updates=self._num_updates)
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore :meth:`state_dict` output (a plain optimizer state dict is accepted too)."""
        state_dict = dict(state_dict)
        balance = state_dict.pop('balance', None)
        scaler_state = state_dict.pop('loss_scaler', None)
        if balance is not None:
            self.strategy.load_state_dict(balance['strategy'])
            self._num_updates = int(balance['num_updates'])
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)
