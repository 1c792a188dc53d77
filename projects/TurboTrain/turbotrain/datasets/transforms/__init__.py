"""Cooperative (multi-agent, multi-frame) data transforms, registered in ``mmdet3d.registry.TRANSFORMS``.

Default order: [CoopPoseNoise] → LoadCoopPoints → [LoadCoopAnnotations] → [CoopPointsToEgo] → CoopPointsRangeFilter →
[CoopRandomFlip, CoopGlobalRotScaleTrans] → [CoopObjectRangeFilter] → PackCoopInputs.
"""
from .early_fusion import CoopPointsToEgo
from .ego_augmentation import CoopGlobalRotScaleTrans, CoopRandomFlip, apply_ego_transform
from .formatting import PackCoopInputs
from .loading_annotations import GT_OBJECT_KEYS, LoadCoopAnnotations
from .loading_points import LoadCoopPoints
from .object_range_filter import CoopObjectRangeFilter
from .points_range_filter import CoopPointsRangeFilter
from .pose_noise import CoopPoseNoise

__all__ = ['LoadCoopPoints', 'LoadCoopAnnotations', 'CoopPointsToEgo', 'CoopPointsRangeFilter',
           'CoopObjectRangeFilter', 'CoopRandomFlip', 'CoopGlobalRotScaleTrans', 'PackCoopInputs',
           'apply_ego_transform', 'GT_OBJECT_KEYS', 'CoopPoseNoise']
