"""Rotated bird's-eye-view IoU of 3D boxes (ego frame at t0, see docs/contract.md), exact in float64.

A box's footprint is the rectangle of length ``l`` along its heading ``yaw`` (counter-clockwise about +z from +x,
mmdet3d ``LiDARInstance3DBoxes``) and width ``w`` across it. The overlap of two rectangles is computed by convex
polygon clipping (Sutherland–Hodgman: the first rectangle is clipped by the four half-planes of the second), in
float64, vectorised over every candidate pair. A vertex lying exactly on a clipping line counts as inside and an
edge is cut only where its ends are strictly on opposite sides, so collinear edges, shared corners, reversed
headings and identical boxes need no special case: the clipped polygon keeps its vertex order and its shoelace area
is the overlap. Pairs whose bounding circles do not meet are 0 without clipping.

Why not ``mmcv.ops.box_iou_rotated``: mmcv 2.1.0's kernel collects edge intersections and contained corners and
sorts them into a hull in float32; with exactly collinear edges it miscounts (open-mmlab/mmcv issue 2621), e.g. the
same rectangle with its heading reversed gets IoU 0.26 instead of 1. ``tools/benchmarks/benchmark_bev_iou.py``
times both on metric-sized inputs.
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


def bev_corners(bev: np.ndarray) -> np.ndarray:
    """``(N, 4, 2)`` float64 corners of ``(N, 5)`` ``[x, y, l, w, yaw]`` rectangles, counter-clockwise.

    Negative sizes are taken by magnitude, so the order stays counter-clockwise (clipping needs it).
    """
    bev = np.asarray(bev, dtype=np.float64).reshape(-1, 5)
    half_l, half_w = np.abs(bev[:, 2]) / 2, np.abs(bev[:, 3]) / 2
    cos, sin = np.cos(bev[:, 4]), np.sin(bev[:, 4])
    local = np.stack([np.stack([half_l, half_w], -1), np.stack([-half_l, half_w], -1),
                      np.stack([-half_l, -half_w], -1), np.stack([half_l, -half_w], -1)], 1)  # (N, 4, 2)
    x = local[..., 0] * cos[:, None] - local[..., 1] * sin[:, None] + bev[:, None, 0]
    y = local[..., 0] * sin[:, None] + local[..., 1] * cos[:, None] + bev[:, None, 1]
    return np.stack([x, y], -1)


def _clip_half_plane(poly: np.ndarray, count: np.ndarray, a: np.ndarray, b: np.ndarray):
    """One Sutherland–Hodgman step on P polygons at once: keep the part left of (or on) the line a→b.

    Args:
        poly: ``(P, V, 2)`` vertices, the first ``count[p]`` of row p valid, in order.
        count: ``(P,)`` number of vertices.
        a, b: ``(P, 2)`` the directed clipping line of each polygon (inside = left, counter-clockwise clipper).

    Returns:
        ``(P, 2V, 2)`` clipped vertices (valid first, in order) and their ``(P,)`` counts.
    """
    num, slots = poly.shape[:2]
    index = np.arange(slots)
    valid = index[None] < count[:, None]
    nxt = np.where(index[None] + 1 < count[:, None], index[None] + 1, 0)  # next vertex, cyclic in each row
    q = np.take_along_axis(poly, nxt[..., None], 1)
    edge = (b - a)[:, None]
    side_p = edge[..., 0] * (poly[..., 1] - a[:, None, 1]) - edge[..., 1] * (poly[..., 0] - a[:, None, 0])
    side_q = np.take_along_axis(side_p, nxt, 1)
    keep_p = valid & (side_p >= 0)
    crossing = valid & (((side_p > 0) & (side_q < 0)) | ((side_p < 0) & (side_q > 0)))
    with np.errstate(divide='ignore', invalid='ignore'):
        t = np.where(crossing, side_p / np.where(crossing, side_p - side_q, 1.0), 0.0)
    cut = poly + t[..., None] * (q - poly)
    out = np.stack([poly, cut], 2).reshape(num, 2 * slots, 2)  # per vertex: itself, then its edge's cut
    keep = np.stack([keep_p, crossing], 2).reshape(num, 2 * slots)
    order = np.argsort(~keep, axis=1, kind='stable')  # kept vertices first, order preserved
    return np.take_along_axis(out, order[..., None], 1), keep.sum(1)


def _polygon_area(poly: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Shoelace area of ``(P, V, 2)`` polygons with ``count`` valid leading vertices (0 below 3)."""
    slots = poly.shape[1]
    index = np.arange(slots)
    valid = index[None] < count[:, None]
    nxt = np.where(index[None] + 1 < count[:, None], index[None] + 1, 0)
    q = np.take_along_axis(poly, nxt[..., None], 1)
    # relative to the first vertex: keeps the products small for boxes far from the origin
    origin = poly[:, :1]
    p_rel, q_rel = poly - origin, q - origin
    cross = np.where(valid, p_rel[..., 0] * q_rel[..., 1] - p_rel[..., 1] * q_rel[..., 0], 0.0)
    return np.where(count >= 3, np.abs(cross.sum(1)) / 2, 0.0)


def rectangle_intersection_area(corners1: np.ndarray, corners2: np.ndarray) -> np.ndarray:
    """Overlap area of P rectangle pairs: ``(P, 4, 2)`` and ``(P, 4, 2)`` counter-clockwise corners → ``(P,)``."""
    poly = np.asarray(corners1, dtype=np.float64)
    clipper = np.asarray(corners2, dtype=np.float64)
    count = np.full(len(poly), 4, dtype=np.int64)
    for k in range(4):
        poly, count = _clip_half_plane(poly, count, clipper[:, k], clipper[:, (k + 1) % 4])
        keep = int(count.max()) if len(count) else 0
        poly = poly[:, :max(keep, 1)]  # a convex 4-gon cut by k lines has at most 4 + k vertices
    return _polygon_area(poly, count)


def bev_iou(bev1: np.ndarray, bev2: np.ndarray) -> np.ndarray:
    """Pairwise rotated BEV IoU, exact polygon intersection in float64.

    Args:
        bev1: ``(N, 5)`` ``[x, y, l, w, yaw]``, yaw counter-clockwise about +z (LiDAR convention).
        bev2: ``(M, 5)`` same format.

    Returns:
        ``(N, M)`` float64 IoU in ``[0, 1]``; 0 where the union has no area (two zero-area boxes).
    """
    bev1 = np.asarray(bev1, dtype=np.float64).reshape(-1, 5)
    bev2 = np.asarray(bev2, dtype=np.float64).reshape(-1, 5)
    ious = np.zeros((len(bev1), len(bev2)), dtype=np.float64)
    if len(bev1) == 0 or len(bev2) == 0:
        return ious
    area1 = np.abs(bev1[:, 2] * bev1[:, 3])
    area2 = np.abs(bev2[:, 2] * bev2[:, 3])
    radius1 = np.hypot(bev1[:, 2], bev1[:, 3]) / 2
    radius2 = np.hypot(bev2[:, 2], bev2[:, 3]) / 2
    distance = np.hypot(bev1[:, None, 0] - bev2[None, :, 0], bev1[:, None, 1] - bev2[None, :, 1])
    # bounding circles that do not meet: no overlap (the margin only lets extra pairs through to the clipper)
    rows, cols = np.nonzero(distance <= (radius1[:, None] + radius2[None, :]) * (1 + 1e-9) + 1e-9)
    if len(rows) == 0:
        return ious
    inter = rectangle_intersection_area(bev_corners(bev1)[rows], bev_corners(bev2)[cols])
    union = area1[rows] + area2[cols] - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        ious[rows, cols] = np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)
    return np.clip(ious, 0.0, 1.0)
