"""Numpy building blocks of :class:`V2XPnPMetric`: BEV IoU, matching, AP, trajectory errors,
baselines."""
from .average_precision import (AP_MODES, average_precision, average_precision_from_flags,
                                rank_detections, voc_ap)
from .bev_iou import bev_iou, boxes_to_bev, to_box_array
from .constant_velocity import constant_velocity_trajectories, velocity_trajectories
from .matching import greedy_match, score_order
from .trajectory_metrics import (displacement_errors, end_to_end_prediction_accuracy,
                                 min_displacement_errors, miss_rate)

__all__ = [
    'AP_MODES', 'average_precision', 'average_precision_from_flags', 'rank_detections', 'voc_ap',
    'bev_iou', 'boxes_to_bev', 'to_box_array', 'constant_velocity_trajectories', 'velocity_trajectories',
    'greedy_match', 'score_order', 'displacement_errors', 'end_to_end_prediction_accuracy', 'min_displacement_errors',
    'miss_rate'
]
