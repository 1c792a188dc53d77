"""Freezing named submodules for staged training (e.g. the manual 4-stage pipeline's later stages).

A frozen submodule keeps its parameters (``requires_grad=False``: no gradient, so neither the optimizer step nor
weight decay nor gradient clipping touches them, and autograd does not back-propagate into it when nothing before
it is trained) and its normalisation statistics (kept in eval mode even while the model trains).

Freezing happens when the model is built, before mmengine wraps it in DDP, so DDP never registers the frozen
parameters (a hook that froze them later would leave DDP waiting for their gradients).
"""
from typing import List, Sequence

from torch import nn


def resolve_modules(model: nn.Module, names: Sequence[str]) -> List[nn.Module]:
    """The submodules of ``model`` named by dotted paths (``'trunk.backbone'``); a name that is not a submodule
    is a ValueError listing the model's top-level children."""
    modules = []
    for name in names:
        try:
            modules.append(model.get_submodule(name))
        except AttributeError:
            children = ', '.join(child for child, _ in model.named_children())
            raise ValueError(f'frozen_modules: {name!r} is not a submodule of {type(model).__name__} '
                             f'(its children: {children})') from None
    return modules


def freeze_modules(model: nn.Module, names: Sequence[str]) -> List[nn.Module]:
    """Set ``requires_grad=False`` on every parameter of the named submodules and put them in eval mode; returns
    them (pass them to :func:`keep_frozen_in_eval` after every ``model.train()``)."""
    modules = resolve_modules(model, names)
    for module in modules:
        module.requires_grad_(False)
        module.eval()
    return modules


def keep_frozen_in_eval(modules: Sequence[nn.Module]) -> None:
    """Put the frozen modules back in eval mode (``model.train()`` sets every submodule to training)."""
    for module in modules:
        module.eval()
