"""The rotated BEV IoU (mmcv op) against an independent polygon IoU of mmdet3d's own box corners."""
import numpy as np
import pytest
import torch

pytest.importorskip('mmcv.ops')
structures = pytest.importorskip('mmdet3d.structures')

from projects.TurboTrain.turbotrain.evaluation.functional.bev_iou import (  # noqa: E402
    bev_iou, boxes_to_bev)


def _clip(subject: list, clipper: list) -> list:
    """Sutherland–Hodgman: convex ``subject`` ∩ convex ``clipper`` (both counter-clockwise)."""

    def inside(p, a, b):
        return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

    def cross(p, q, a, b):
        d1, d2 = np.subtract(q, p), np.subtract(b, a)
        t = ((a[0] - p[0]) * d2[1] - (a[1] - p[1]) * d2[0]) / (d1[0] * d2[1] - d1[1] * d2[0])
        return p + t * d1

    output = [np.asarray(p, float) for p in subject]
    for i in range(len(clipper)):
        a, b = np.asarray(clipper[i], float), np.asarray(clipper[(i + 1) % len(clipper)], float)
        points, output = output, []
        for j in range(len(points)):
            p, q = points[j], points[(j + 1) % len(points)]
            if inside(q, a, b):
                if not inside(p, a, b):
                    output.append(cross(p, q, a, b))
                output.append(q)
            elif inside(p, a, b):
                output.append(cross(p, q, a, b))
        if not output:
            break
    return output


def _area(poly: list) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = np.array(poly)[:, 0], np.array(poly)[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _ccw_hull(points: np.ndarray) -> list:
    centre = points.mean(0)
    order = np.argsort(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]))
    return [points[i] for i in order]


def polygon_iou(boxes1, boxes2) -> np.ndarray:
    """IoU of the top-view footprints (from ``LiDARInstance3DBoxes.corners``), shapely if
    present."""
    feet1 = [
        np.unique(c[:, :2].round(9), axis=0) for c in boxes1.corners.numpy().astype(np.float64)
    ]
    feet2 = [
        np.unique(c[:, :2].round(9), axis=0) for c in boxes2.corners.numpy().astype(np.float64)
    ]
    try:
        from shapely.geometry import MultiPoint
        polys1 = [MultiPoint([tuple(p) for p in f]).convex_hull for f in feet1]
        polys2 = [MultiPoint([tuple(p) for p in f]).convex_hull for f in feet2]
        return np.array([[a.intersection(b).area / a.union(b).area for b in polys2]
                         for a in polys1])
    except ImportError:
        out = np.zeros((len(feet1), len(feet2)))
        for i, f1 in enumerate(feet1):
            for j, f2 in enumerate(feet2):
                p1, p2 = _ccw_hull(f1), _ccw_hull(f2)
                inter = _area(_clip(p1, p2))
                out[i, j] = inter / (_area(p1) + _area(p2) - inter)
        return out


def _boxes(rows) -> 'structures.LiDARInstance3DBoxes':
    return structures.LiDARInstance3DBoxes(torch.tensor(rows, dtype=torch.float32))


def test_yaw_is_counter_clockwise_in_mmdet3d():
    # l = 4 along the heading: yaw = +90° points the long side along +y
    corners = _boxes([[0, 0, 0, 4, 2, 1.5, np.pi / 2]]).corners[0].numpy()
    np.testing.assert_allclose(np.abs(corners[:, 0]).max(), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.abs(corners[:, 1]).max(), 2.0, atol=1e-5)
    # yaw = +45°: the front-left corner region lies at x>0, y>0 along the heading (1, 1)/√2
    corners = _boxes([[0, 0, 0, 4, 0.2, 1.5, np.pi / 4]]).corners[0].numpy()
    far = corners[np.argmax(corners[:, 0] + corners[:, 1])]
    assert far[0] > 1.2 and far[1] > 1.2


def test_hand_computed_ious():
    a = _boxes([[0, 0, 0, 4, 2, 1.5, 0.0]])
    b = _boxes([[1, 0, 0, 4, 2, 1.5, 0.0], [0, 0, 0, 4, 2, 1.5, np.pi / 2],
                [10, 0, 0, 4, 2, 1.5, 0.3]])
    # shifted 1 m along x: 6 / (8 + 8 - 6) = 0.6; crossed: 4 / 12; disjoint: 0
    np.testing.assert_allclose(bev_iou(boxes_to_bev(a), boxes_to_bev(b)), [[0.6, 1 / 3, 0.0]],
                               atol=1e-4)


def test_against_polygon_iou_with_asymmetric_rotations():
    rng = np.random.default_rng(0)
    n = 12
    rows1 = np.column_stack([
        rng.uniform(-2, 2, n),
        rng.uniform(-2, 2, n),
        rng.uniform(-1, 0, n),
        rng.uniform(2, 5, n),
        rng.uniform(1, 2.5, n),
        rng.uniform(1, 2, n),
        rng.uniform(-np.pi, np.pi, n)
    ])
    rows2 = rows1 + np.column_stack(
        [rng.uniform(-1.5, 1.5, (n, 2)),
         np.zeros(
             (n, 4)), rng.uniform(-0.8, 0.8, n)])
    boxes1, boxes2 = _boxes(rows1), _boxes(rows2)
    reference = polygon_iou(boxes1, boxes2)
    assert (reference > 0.05).sum() > n  # plenty of overlapping pairs
    ours = bev_iou(boxes_to_bev(boxes1), boxes_to_bev(boxes2))
    np.testing.assert_allclose(ours, reference, atol=2e-4)
    # the opposite angle convention (mmcv clockwise=False) disagrees with the polygons: the setting
    # matters
    from mmcv.ops import box_iou_rotated
    flipped = box_iou_rotated(torch.from_numpy(boxes_to_bev(boxes1)).float(),
                              torch.from_numpy(boxes_to_bev(boxes2)).float(),
                              clockwise=False).numpy()
    assert np.abs(flipped - reference).max() > 0.05


def test_empty():
    assert bev_iou(np.zeros((0, 5)), np.ones((3, 5))).shape == (0, 3)
    assert boxes_to_bev(None).shape == (0, 5)
