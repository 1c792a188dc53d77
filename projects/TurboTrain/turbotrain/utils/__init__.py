from . import compat  # noqa: F401  (applies CPU compatibility patches on import)
from .geometry import (matrix_to_pose, pose_to_matrix, relative_pose, transform_points,
                       yaw_of_matrix)
from .launch import prepare_distributed

__all__ = [
    'pose_to_matrix', 'matrix_to_pose', 'relative_pose', 'transform_points', 'yaw_of_matrix',
    'prepare_distributed'
]
