"""Pose and point-frame helpers (OpenCOOD conventions; see docs/contract.md).

A pose is ``[x, y, z, roll, yaw, pitch]`` with angles in **degrees** (the order OpenCOOD yaml files use).
``pose_to_matrix`` gives the 4×4 sensor-to-world matrix ``T``; points go from sensor to world as ``T @ p``.
"""
from typing import Sequence, Union

import numpy as np
import torch

ArrayLike = Union[np.ndarray, Sequence[float]]


def pose_to_matrix(pose: ArrayLike) -> np.ndarray:
    """``[x, y, z, roll, yaw, pitch]`` (m, degrees) → (4, 4) float64 sensor-to-world matrix.

    R = Rz(yaw) · Ry(-pitch) · Rx(roll) written out as OpenCOOD's ``x_to_world`` does.
    """
    x, y, z, roll, yaw, pitch = (float(v) for v in pose)
    c_y, s_y = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    c_r, s_r = np.cos(np.radians(roll)), np.sin(np.radians(roll))
    c_p, s_p = np.cos(np.radians(pitch)), np.sin(np.radians(pitch))
    matrix = np.identity(4)
    matrix[0, 3], matrix[1, 3], matrix[2, 3] = x, y, z
    matrix[0, 0] = c_p * c_y
    matrix[0, 1] = c_y * s_p * s_r - s_y * c_r
    matrix[0, 2] = -c_y * s_p * c_r - s_y * s_r
    matrix[1, 0] = s_y * c_p
    matrix[1, 1] = s_y * s_p * s_r + c_y * c_r
    matrix[1, 2] = -s_y * s_p * c_r + c_y * s_r
    matrix[2, 0] = s_p
    matrix[2, 1] = -c_p * s_r
    matrix[2, 2] = c_p * c_r
    return matrix


def matrix_to_pose(matrix: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pose_to_matrix`: (4, 4) → ``[x, y, z, roll, yaw, pitch]`` in degrees."""
    matrix = np.asarray(matrix, dtype=np.float64)
    pitch = np.arcsin(np.clip(matrix[2, 0], -1.0, 1.0))
    yaw = np.arctan2(matrix[1, 0], matrix[0, 0])
    roll = np.arctan2(-matrix[2, 1], matrix[2, 2])
    x, y, z = matrix[:3, 3]
    return np.array([x, y, z, np.degrees(roll), np.degrees(yaw), np.degrees(pitch)])


def transform_points(points: Union[np.ndarray, torch.Tensor],
                     matrix: Union[np.ndarray, torch.Tensor]) -> Union[np.ndarray, torch.Tensor]:
    """Apply a 4×4 rigid transform to the xyz columns of ``points`` (N, ≥3); extra columns are kept."""
    if isinstance(points, torch.Tensor):
        matrix = torch.as_tensor(matrix, dtype=points.dtype, device=points.device)
        out = points.clone()
        out[:, :3] = points[:, :3] @ matrix[:3, :3].T + matrix[:3, 3]
        return out
    matrix = np.asarray(matrix)
    out = np.array(points, copy=True)
    out[:, :3] = points[:, :3] @ matrix[:3, :3].T + matrix[:3, 3]
    return out
