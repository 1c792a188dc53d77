from . import compat  # noqa: F401  (applies CPU compatibility patches on import)
from .geometry import matrix_to_pose, pose_to_matrix, transform_points
from .launch import prepare_distributed

__all__ = ['pose_to_matrix', 'matrix_to_pose', 'transform_points', 'prepare_distributed']
