"""Registry of gradient-balancing strategies used by :class:`BalancedOptimWrapper`.

A strategy is looked up by the ``type`` of the wrapper's ``strategy`` config, e.g.
``strategy=dict(type='turbotrain', interval=10)``. The registry is private to the wrapper (it is not part of the
mmdet3d registry tree), so it is queried with :meth:`Registry.get` and never switches the default scope.
"""
import inspect
from typing import Union

from mmengine.registry import Registry

BALANCE_STRATEGIES = Registry('balance strategy')


def build_strategy(cfg: Union[dict, object]):
    """Build a strategy from ``dict(type=name, **kwargs)``; an already built strategy is returned unchanged."""
    if not isinstance(cfg, dict):
        return cfg
    cfg = dict(cfg)
    name = cfg.pop('type')
    strategy_cls = BALANCE_STRATEGIES.get(name)
    if strategy_cls is None:
        raise KeyError(f'unknown balance strategy {name!r}; registered: {sorted(BALANCE_STRATEGIES.module_dict)}')
    parameters = inspect.signature(strategy_cls.__init__).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        unknown = sorted(set(cfg) - set(parameters))
        if unknown:
            accepted = sorted(key for key in parameters if key != 'self')
            # typically `--cfg-options optim_wrapper.strategy.type=X`: the merge keeps the other strategy's keys
            raise TypeError(f'balance strategy {name!r} does not take {", ".join(unknown)} (it takes: '
                            f'{", ".join(accepted)}); to switch strategies, replace the whole strategy dict, e.g. '
                            f"in a child config: optim_wrapper = dict(strategy=dict(_delete_=True, type='{name}'))")
    return strategy_cls(**cfg)
