"""Rotated bird's-eye-view IoU of 3D boxes (ego frame at t0, see docs/contract.md).

The overlap itself is computed by :func:`mmcv.ops.box_iou_rotated`. Its box format is ``(x_center,
y_center, width, height, angle)`` and its kernel places the corners with the plain rotation matrix
``[[cos, -sin], [sin, cos]]`` applied to ``(±width/2, ±height/2)``: in a y-up frame that is a
counter-clockwise angle, which is exactly mmdet3d's ``LiDARInstance3DBoxes`` yaw (counter-clockwise
about +z, measured from +x, the ``l`` side along the heading). mmcv's ``clockwise=True`` (its
default) therefore passes the yaw through unchanged and is the right setting; ``clockwise=False``
would negate every yaw and is wrong for LiDAR boxes. The test
``tests/evaluation/functional/test_bev_iou.py`` checks this against shapely polygons built from
``LiDARInstance3DBoxes.corners``.
"""
from typing import Any

import numpy as np
import torch


def to_box_array(boxes: Any) -> np.ndarray:
    """Boxes as a float64 ``(N, 7+)`` array ``[x, y, z_bottom, l, w, h, yaw, ...]``.

    Args:
        boxes: ``LiDARInstance3DBoxes`` (or any mmdet3d box structure with a ``tensor``), a tensor
            or an array of shape ``(N, 7+)``, or ``None`` (no boxes).
    """
    if boxes is None:
        return np.zeros((0, 7), dtype=np.float64)
    if hasattr(boxes, 'tensor'):
        boxes = boxes.tensor
    if isinstance(boxes, torch.Tensor):
        boxes = boxes.detach().cpu().numpy()
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        return np.zeros((0, 7), dtype=np.float64)
    assert boxes.ndim == 2 and boxes.shape[1] >= 7, f'boxes must be (N, 7+), got {boxes.shape}'
    return boxes


def boxes_to_bev(boxes: Any) -> np.ndarray:
    """BEV rectangles ``(N, 5)`` = ``[x, y, l, w, yaw]`` (m, m, m, m, rad CCW about +z) of ``(N,
    7+)`` boxes."""
    return to_box_array(boxes)[:, [0, 1, 3, 4, 6]].copy()


def bev_iou(bev1: np.ndarray, bev2: np.ndarray) -> np.ndarray:
    """Pairwise rotated BEV IoU.

    Args:
        bev1: ``(N, 5)`` ``[x, y, l, w, yaw]``, yaw counter-clockwise about +z (LiDAR convention).
        bev2: ``(M, 5)`` same format.

    Returns:
        ``(N, M)`` float64 IoU in ``[0, 1]``.
    """
    bev1 = np.asarray(bev1, dtype=np.float64).reshape(-1, 5)
    bev2 = np.asarray(bev2, dtype=np.float64).reshape(-1, 5)
    if len(bev1) == 0 or len(bev2) == 0:
        return np.zeros((len(bev1), len(bev2)), dtype=np.float64)
    from mmcv.ops import box_iou_rotated  # compiled op, imported lazily
    ious = box_iou_rotated(
        torch.from_numpy(bev1).float(),
        torch.from_numpy(bev2).float(),
        mode='iou',
        aligned=False,
        clockwise=True)  # the kernel's rotation is CCW in a y-up frame: see the module docstring
    return np.clip(ious.numpy().astype(np.float64), 0.0, 1.0)
