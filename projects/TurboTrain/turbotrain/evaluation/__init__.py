"""Evaluation: :class:`V2XPnPMetric` (detection AP, ADE/FDE/MR, EPA) and its numpy building
blocks."""
from .functional import (average_precision, bev_iou, boxes_to_bev, constant_velocity_trajectories,
                         displacement_errors, end_to_end_prediction_accuracy, greedy_match,
                         miss_rate)
from .v2xpnp_metric import V2XPnPMetric

__all__ = [
    'V2XPnPMetric', 'average_precision', 'bev_iou', 'boxes_to_bev',
    'constant_velocity_trajectories', 'displacement_errors', 'end_to_end_prediction_accuracy',
    'greedy_match', 'miss_rate'
]
