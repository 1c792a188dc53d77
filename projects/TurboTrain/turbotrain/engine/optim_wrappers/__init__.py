"""Gradient-balancing optimizer wrapper (``BalancedOptimWrapper``) and its strategies."""
from .balanced_optim_wrapper import BalancedOptimWrapper
from .strategies import (BALANCE_STRATEGIES, BalanceResult, BaseBalanceStrategy, FAMOStrategy, IMTLGStrategy,
                         IntervalStrategy, PCGradStrategy, SumStrategy, TorchJDStrategy, TurboTrainStrategy,
                         build_strategy)
from .task_gradients import TaskGradientBuffer

__all__ = [
    'BalancedOptimWrapper', 'BALANCE_STRATEGIES', 'build_strategy', 'BaseBalanceStrategy', 'BalanceResult',
    'SumStrategy', 'PCGradStrategy', 'IMTLGStrategy', 'FAMOStrategy', 'TurboTrainStrategy', 'IntervalStrategy',
    'TorchJDStrategy', 'TaskGradientBuffer'
]
