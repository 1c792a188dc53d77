"""Independent reference updates: per-task gradients by ``torch.autograd.grad`` on the plain model, then each
strategy's formula written out on the flattened vectors (two tasks: det, pred)."""
from typing import Dict, List

import torch

from .toy_multitask import ToyMultiTaskModel


def task_gradients(model: ToyMultiTaskModel, batch: dict):
    """Per-task gradients (2, P) in ``model.parameters()`` order, the shared mask (P,) and the loss values."""
    losses = model(**batch, mode='loss')
    params = list(model.parameters())
    rows = []
    for key in ('det.loss', 'pred.loss'):
        grads = torch.autograd.grad(losses[key], params, retain_graph=True, allow_unused=True)
        rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                               for g, p in zip(grads, params)]))
    shared = torch.cat([torch.full((p.numel(), ), name.startswith('trunk.'))
                        for name, p in model.named_parameters()])
    values = torch.stack([losses['det.loss'].detach(), losses['pred.loss'].detach()])
    return torch.stack(rows), shared, values


def _project_pair(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dot = a @ b
    if dot >= 0:
        return a + b
    return (a - dot / (b @ b) * b) + (b - dot / (a @ a) * a)


class ReferenceBalancer:
    """The update direction of each strategy for two tasks, step after step (own state)."""

    def __init__(self, name: str, interval: int = 2, famo_lr: float = 0.025, famo_decay: float = 1e-3):
        self.name = name
        self.interval = interval
        self.famo_lr, self.famo_decay = famo_lr, famo_decay
        self.weights = torch.ones(2, dtype=torch.float64)
        self.logits = torch.log(torch.tensor([0.5, 0.5], dtype=torch.float64))
        self.prev_log = None
        self.step = 0

    def direction(self, grads: torch.Tensor, shared: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        g1, g2 = grads
        out = g1 + g2
        if self.name == 'pcgrad':
            out[shared] = _project_pair(g1[shared], g2[shared])
        elif self.name == 'imtl_g':
            a, b = g1[shared], g2[shared]
            u1, u2 = a / a.norm(), b / b.norm()
            alpha2 = (a @ (u1 - u2)) / ((a - b) @ (u1 - u2))
            out[shared] = 2 * ((1 - alpha2) * a + alpha2 * b)
        elif self.name == 'turbotrain_loss_rate':
            weights = self._famo_weights(values)
            out = weights[0] * g1 + weights[1] * g2
            if self.step % self.interval == 0:
                out[shared] = _project_pair(weights[0] * g1[shared], weights[1] * g2[shared])
            self.weights = weights
        elif self.name == 'turbotrain':
            if self.step % self.interval == 0:
                norms = torch.stack([g1[shared].norm(), g2[shared].norm()])
                self.weights = 2 * (1 / norms) / (1 / norms).sum()
                out = self.weights[0] * g1 + self.weights[1] * g2
                out[shared] = _project_pair(self.weights[0] * g1[shared], self.weights[1] * g2[shared])
            else:
                out = self.weights[0] * g1 + self.weights[1] * g2
        elif self.name == 'famo':
            weights = self._famo_weights(values)
            out = weights[0] * g1 + weights[1] * g2
        else:
            assert self.name == 'sum'
        self.step += 1
        return out

    def _famo_weights(self, values: torch.Tensor) -> torch.Tensor:
        """FAMO's logit update from the log-loss decrease since the previous step, then its loss weights."""
        log_values = values.log()
        if self.prev_log is not None:
            z = self.logits.softmax(0)
            jacobian = torch.diag(z) - z[:, None] * z[None, :]
            self.logits = self.logits - self.famo_lr * (jacobian @ (self.prev_log - log_values)
                                                        + self.famo_decay * self.logits)
        self.prev_log = log_values
        z = self.logits.softmax(0)
        return 2 * (z / values) / (z / values).sum()


def apply_sgd(model: torch.nn.Module, direction: torch.Tensor, lr: float, max_norm: float = None) -> None:
    """``p ← p − lr · d`` with optional clipping of ``d`` by total norm (as ``clip_grad_norm_``)."""
    if max_norm is not None:
        coef = min(1.0, max_norm / (direction.norm().item() + 1e-6))
        direction = direction * coef
    offset = 0
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * direction[offset:offset + p.numel()].view_as(p)
            offset += p.numel()


def run_reference(model, batches: List[dict], name: str, lr: float, interval: int = 2,
                  accumulate: int = 1, max_norm: float = None) -> Dict[str, object]:
    """Train ``model`` with SGD on ``batches`` (``accumulate`` consecutive batches form one global batch)."""
    balancer = ReferenceBalancer(name, interval)
    for start in range(0, len(batches), accumulate):
        group = batches[start:start + accumulate]
        merged = {k: torch.cat([b[k] for b in group]) for k in group[0]}
        grads, shared, values = task_gradients(model, merged)
        apply_sgd(model, balancer.direction(grads, shared, values), lr, max_norm)
    return dict(weights=balancer.weights.tolist(), logits=balancer.logits.tolist())
