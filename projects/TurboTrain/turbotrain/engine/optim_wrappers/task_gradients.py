"""A flat buffer of per-task gradients for conflict-suppressing updates.

Layout of the single 1-D tensor (so that one all-reduce moves everything a rank contributes):

``[ task 0: shared params | other params ][ task 1: ... ] ... [ used flag per parameter ]``

The first ``K·P`` entries view as a (K, P) matrix, the shared (trunk) parameters first; the tail holds one flag per
parameter, 1 where some task's loss reached it on this rank (after the all-reduce: on some rank), so parameters that
no task used keep ``.grad = None`` exactly as after an ordinary backward.
"""
from typing import List, Optional, Sequence

import torch
import torch.distributed as dist


class TaskGradientBuffer:
    """Per-task gradients of a list of parameters, accumulated over micro-steps.

    Args:
        params: the parameters, shared ones first.
        num_shared: how many of ``params`` are shared.
        num_tasks: K.
    """

    def __init__(self, params: Sequence[torch.nn.Parameter], num_shared: int, num_tasks: int) -> None:
        self.params = list(params)
        self.num_shared = num_shared
        self.num_tasks = num_tasks
        self.sizes = [p.numel() for p in self.params]
        self.numel = sum(self.sizes)
        self.numel_shared = sum(self.sizes[:num_shared])
        dtype = torch.float32
        for p in self.params:
            dtype = torch.promote_types(dtype, p.dtype)
        device = self.params[0].device if self.params else torch.device('cpu')
        self.flat = torch.zeros(num_tasks * self.numel + len(self.params), dtype=dtype, device=device)
        matrix = self.task_matrix()
        self._views = [[v.view_as(p) for v, p in zip(torch.split(matrix[k], self.sizes), self.params)]
                       for k in range(num_tasks)]

    def task_matrix(self) -> torch.Tensor:
        """(K, P) view: row k is task k's gradient, flattened, shared parameters first."""
        return self.flat[:self.num_tasks * self.numel].view(self.num_tasks, self.numel)

    def used(self) -> torch.Tensor:
        """(num_params,) bool: whether any task's loss reached the parameter."""
        return self.flat[self.num_tasks * self.numel:] > 0

    def accumulate(self, task: int, loss: torch.Tensor, retain_graph: bool) -> None:
        """Add ``∂loss/∂params`` to row ``task`` (``torch.autograd.grad``: DDP's reducer is not involved)."""
        if not loss.requires_grad:
            return
        grads = torch.autograd.grad(loss, self.params, retain_graph=retain_graph, allow_unused=True)
        views, values, used_index = [], [], []
        for index, grad in enumerate(grads):
            if grad is not None:
                views.append(self._views[task][index])
                values.append(grad.to(self.flat.dtype))
                used_index.append(index)
        if views:
            torch._foreach_add_(views, values)
            used = self.flat[self.num_tasks * self.numel:]
            used.index_fill_(0, torch.tensor(used_index, device=used.device), 1.0)

    def all_reduce_mean(self, group: Optional[object] = None) -> None:
        """Average over ranks with ONE all-reduce of the whole buffer (no-op without a process group)."""
        if not (dist.is_available() and dist.is_initialized()):
            return
        world_size = dist.get_world_size(group)
        if world_size == 1:
            return
        dist.all_reduce(self.flat, group=group)
        self.flat.div_(world_size)

    def write_grads(self, combined: torch.Tensor) -> None:
        """Add the combined flat gradient (P,) into ``.grad`` of every used parameter."""
        used: List[bool] = self.used().tolist()
        for param, grad, is_used in zip(self.params, torch.split(combined, self.sizes), used):
            if not is_used:
                continue
            grad = grad.view_as(param).to(param.dtype)
            if param.grad is None:
                param.grad = grad
            else:
                param.grad.add_(grad)
