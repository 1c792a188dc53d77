"""Gradient-balancing strategies for :class:`BalancedOptimWrapper`, one rule per module behind one interface."""
from .base import BalanceResult, BaseBalanceStrategy, gradient_stats, on_schedule, project_conflicts
from .famo import FAMOStrategy
from .fixed_sum import SumStrategy
from .imtl_g import IMTLGStrategy
from .interval import IntervalStrategy
from .pcgrad import PCGradStrategy
from .registry import BALANCE_STRATEGIES, build_strategy
from .torchjd_aggregators import TorchJDStrategy
from .turbotrain import TurboTrainStrategy

__all__ = [
    'BALANCE_STRATEGIES', 'build_strategy', 'BaseBalanceStrategy', 'BalanceResult', 'gradient_stats',
    'on_schedule', 'project_conflicts', 'SumStrategy', 'PCGradStrategy', 'IMTLGStrategy', 'FAMOStrategy',
    'TurboTrainStrategy', 'IntervalStrategy', 'TorchJDStrategy'
]
