"""Cooperative augmentation: one 4×4 transform ``A`` of the ego frame at t0 applied to everything expressed in it.

``A`` = [s·R | t] with R a rotation about +z optionally combined with a reflection of the x or y axis (flips), s a
uniform scale and t a translation. It is applied consistently to
- labels: ``gt_bboxes_3d`` (centre ← A·centre, sizes ← s·sizes, heading vector ← R·heading),
  ``gt_future_traj`` / ``gt_past_traj`` (x, y ← A; masked steps stay 0);
- poses: ``M[a,t] ← A · M[a,t]`` for every valid slot (missing slots keep M = I), so clouds that stay in their
  agent frames land, after the warp with the new M, exactly where the augmented labels are;
- points: only when they are already in the ego frame (``coop_points_frame == 'ego'``, early fusion): p ← A·p,
  and M stays I.
Every transform composes into ``results['ego_aug_matrix']`` (4, 4), the total A since loading (packed into the
sample's metainfo). Because A is a similarity, a point inside an object's box stays inside it.
"""
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS
from mmdet3d.structures import LiDARInstance3DBoxes

from ...utils.geometry import transform_points


def _check_matrix(matrix: np.ndarray) -> float:
    """Validate ``A`` keeps +z (BEV transform) and is a similarity; returns its scale s."""
    if matrix.shape != (4, 4):
        raise ValueError(f'ego augmentation matrix must be 4x4, got {matrix.shape}')
    if np.abs(matrix[2, :2]).max() > 1e-9 or np.abs(matrix[:2, 2]).max() > 1e-9:
        raise ValueError('ego augmentation matrix must not mix z with x/y')
    scale = float(np.linalg.norm(matrix[:3, 0]))
    if not np.allclose(matrix[:3, :3].T @ matrix[:3, :3], scale ** 2 * np.eye(3), atol=1e-6):
        raise ValueError('ego augmentation matrix must be a similarity (rotation/reflection × uniform scale)')
    return scale


def transform_boxes(boxes: LiDARInstance3DBoxes, matrix: np.ndarray) -> LiDARInstance3DBoxes:
    """Boxes (N, 7+) bottom centre → the same boxes seen through ``matrix`` (4, 4)."""
    scale = _check_matrix(matrix)
    if len(boxes) == 0:
        return boxes.clone()
    tensor = boxes.tensor.clone().double()
    gravity = boxes.gravity_center.double()
    matrix_t = torch.as_tensor(matrix, dtype=torch.float64)
    centre = gravity @ matrix_t[:3, :3].T + matrix_t[:3, 3]
    heading = torch.stack([torch.cos(tensor[:, 6]), torch.sin(tensor[:, 6])], dim=1) @ matrix_t[:2, :2].T
    tensor[:, 3:6] = tensor[:, 3:6] * scale
    tensor[:, 0:2] = centre[:, :2]
    tensor[:, 2] = centre[:, 2] - tensor[:, 5] / 2  # back to bottom centre
    tensor[:, 6] = torch.atan2(heading[:, 1], heading[:, 0])
    if tensor.shape[1] > 7:  # velocity (vx, vy) rotates with the frame
        tensor[:, 7:9] = tensor[:, 7:9] @ matrix_t[:2, :2].T
    return type(boxes)(tensor.to(boxes.tensor.dtype), box_dim=boxes.box_dim, with_yaw=boxes.with_yaw)


def transform_trajectories(trajectories: np.ndarray, mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, K, 2) ego-frame (x, y) → through ``matrix``; masked steps stay 0."""
    out = trajectories @ matrix[:2, :2].T.astype(trajectories.dtype) + matrix[:2, 3].astype(trajectories.dtype)
    out[~mask] = 0.0
    return out.astype(trajectories.dtype)


def apply_ego_transform(results: dict, matrix: np.ndarray) -> dict:
    """Apply ``matrix`` (4, 4) = A to labels, poses (and ego-frame points) of ``results`` (see module doc)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    _check_matrix(matrix)
    if 'gt_bboxes_3d' in results:
        results['gt_bboxes_3d'] = transform_boxes(results['gt_bboxes_3d'], matrix)
    for traj_key, mask_key in (('gt_future_traj', 'gt_future_mask'), ('gt_past_traj', 'gt_past_mask')):
        if traj_key in results:
            results[traj_key] = transform_trajectories(results[traj_key], results[mask_key], matrix)
    if results.get('coop_points_frame') == 'ego':
        results['coop_points'] = [transform_points(cloud, matrix).astype(np.float32) if len(cloud) else cloud
                                  for cloud in results['coop_points']]
    elif 'agent_poses' in results:
        poses = np.asarray(results['agent_poses'], dtype=np.float64)
        valid = np.asarray(results['agent_frame_valid'], dtype=bool)
        poses = poses.copy()
        poses[valid] = matrix @ poses[valid]
        results['agent_poses'] = poses
    results['ego_aug_matrix'] = matrix @ results.get('ego_aug_matrix', np.eye(4))
    return results


@TRANSFORMS.register_module()
class CoopRandomFlip(BaseTransform):
    """Random BEV flips of the ego frame. 'horizontal': y → -y (mmdet3d's LiDAR horizontal flip); 'vertical':
    x → -x. Each applied independently with its probability."""

    def __init__(self, flip_ratio_bev_horizontal: float = 0.5, flip_ratio_bev_vertical: float = 0.0) -> None:
        self.flip_ratio_bev_horizontal = flip_ratio_bev_horizontal
        self.flip_ratio_bev_vertical = flip_ratio_bev_vertical

    def transform(self, results: dict) -> dict:
        matrix = np.eye(4)
        horizontal = np.random.rand() < self.flip_ratio_bev_horizontal
        vertical = np.random.rand() < self.flip_ratio_bev_vertical
        if horizontal:
            matrix[1, 1] = -1.0
        if vertical:
            matrix[0, 0] = -1.0
        results['pcd_horizontal_flip'] = horizontal
        results['pcd_vertical_flip'] = vertical
        if horizontal or vertical:
            apply_ego_transform(results, matrix)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(flip_ratio_bev_horizontal={self.flip_ratio_bev_horizontal}, '
                f'flip_ratio_bev_vertical={self.flip_ratio_bev_vertical})')


@TRANSFORMS.register_module()
class CoopGlobalRotScaleTrans(BaseTransform):
    """Random rotation about +z (rad, uniform in ``rot_range``), uniform scale (in ``scale_ratio_range``) and
    translation (normal, ``translation_std`` per axis, z included) of the ego frame at t0."""

    def __init__(self, rot_range: Sequence[float] = (-0.78539816, 0.78539816),
                 scale_ratio_range: Sequence[float] = (0.95, 1.05),
                 translation_std: Optional[Sequence[float]] = (0.0, 0.0, 0.0)) -> None:
        self.rot_range = tuple(rot_range)
        self.scale_ratio_range = tuple(scale_ratio_range)
        self.translation_std = tuple(translation_std or (0.0, 0.0, 0.0))

    def transform(self, results: dict) -> dict:
        angle = np.random.uniform(*self.rot_range)
        scale = np.random.uniform(*self.scale_ratio_range)
        translation = np.random.normal(scale=self.translation_std, size=3) if any(self.translation_std) \
            else np.zeros(3)
        cos_a, sin_a = np.cos(angle), np.sin(angle)
        matrix = np.eye(4)
        matrix[:2, :2] = scale * np.array([[cos_a, -sin_a], [sin_a, cos_a]])
        matrix[2, 2] = scale
        matrix[:3, 3] = translation
        results['pcd_rotation_angle'] = float(angle)
        results['pcd_scale_factor'] = float(scale)
        results['pcd_trans'] = translation
        return apply_ego_transform(results, matrix)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(rot_range={self.rot_range}, scale_ratio_range={self.scale_ratio_range}, '
                f'translation_std={self.translation_std})')
