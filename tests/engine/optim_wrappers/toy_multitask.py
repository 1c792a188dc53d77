"""A toy two-task model with a shared ``trunk`` (the contract's shape, in miniature) for the wrapper tests."""
from collections import OrderedDict
from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel


class ToyMultiTaskModel(BaseModel):
    """``trunk`` (shared) → ``det_head`` (1 output) and ``pred_head`` (2 outputs); mean-squared losses.

    ``parse_losses`` attaches ``task_losses = OrderedDict(det=..., pred=...)`` to the summed loss, as the real
    detector does (docs/contract.md).
    """

    def __init__(self, in_dim: int = 3, hidden: int = 5) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(in_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.det_head = nn.Linear(hidden, 1)
        self.pred_head = nn.Linear(hidden, 2)

    def forward(self, inputs, det_target=None, pred_target=None, mode: str = 'loss'):
        features = self.trunk(inputs)
        det, pred = self.det_head(features), self.pred_head(features)
        if mode != 'loss':
            return det, pred
        return {'det.loss': F.mse_loss(det, det_target), 'pred.loss': F.mse_loss(pred, pred_target)}

    def parse_losses(self, losses: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, dict]:
        loss, log_vars = super().parse_losses(losses)
        loss.task_losses = OrderedDict(det=losses['det.loss'], pred=losses['pred.loss'])
        return loss, log_vars


def make_model(seed: int = 0) -> ToyMultiTaskModel:
    """The same float64 model for a given seed; the first prediction output reads the trunk features with the
    detection head's weights negated, so both tasks asking for a large target pull the trunk apart (conflict)."""
    torch.manual_seed(seed)
    model = ToyMultiTaskModel().double()
    with torch.no_grad():
        model.pred_head.weight[0] = -model.det_head.weight[0]
    return model


def make_batches(num: int, batch_size: int, seed: int = 1):
    """``num`` batches whose two targets pull the trunk in conflicting directions (float64)."""
    generator = torch.Generator().manual_seed(seed)
    batches = []
    for _ in range(num):
        inputs = torch.randn(batch_size, 3, generator=generator, dtype=torch.float64)
        det_target = 2.0 + inputs[:, :1] + 0.1 * torch.randn(batch_size, 1, generator=generator,
                                                             dtype=torch.float64)
        pred_target = torch.cat([det_target, inputs[:, 1:2]], dim=1)
        batches.append(dict(inputs=inputs, det_target=det_target, pred_target=pred_target))
    return batches


def shard(batch: dict, rank: int, world_size: int) -> dict:
    """Rank ``rank``'s equal slice of a global batch."""
    size = next(iter(batch.values())).shape[0] // world_size
    return {key: value[rank * size:(rank + 1) * size] for key, value in batch.items()}


def flat_params(model: nn.Module) -> torch.Tensor:
    """All parameters, flattened, in ``named_parameters`` order."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


class PlainToyModel(ToyMultiTaskModel):
    """The toy model without ``task_losses`` (the wrapper must then act as a plain ``OptimWrapper``)."""

    def parse_losses(self, losses: Dict[str, torch.Tensor]) -> Tuple[torch.Tensor, dict]:
        return BaseModel.parse_losses(self, losses)


def make_plain_model(seed: int = 0) -> PlainToyModel:
    """:func:`make_model`'s parameters in a :class:`PlainToyModel`."""
    model = PlainToyModel().double()
    model.load_state_dict(make_model(seed).state_dict())
    return model
