"""The rotated BEV IoU against independent references.

- ``exact_iou``: exact rational arithmetic (``fractions.Fraction``) on the float64 corners, by a different method
  from the one under test — vertex enumeration (corners of each rectangle inside the other + edge/edge
  intersections) and the area of their convex hull (monotone chain). No rounding at all, so degenerate pairs
  (collinear edges, shared corners, reversed headings) are decided exactly.
- shapely (GEOS, robust predicates) on 10 000 random pairs when installed (``tools/install.sh`` test tools).
- mmdet3d's own ``LiDARInstance3DBoxes.corners`` for the yaw convention.
"""
from fractions import Fraction

import numpy as np
import pytest
import torch

structures = pytest.importorskip('mmdet3d.structures')

from projects.TurboTrain.turbotrain.evaluation.functional.bev_iou import (  # noqa: E402
    bev_corners, bev_iou, boxes_to_bev)


# ------------------------------------------------------------------------------------------ exact reference
def _ref_corners(row) -> list:
    """Counter-clockwise corners (float64) of ``[x, y, l, w, yaw]`` as centre ± half-extents along the axes."""
    x, y, length, width, yaw = (float(v) for v in row)
    heading = np.array([np.cos(yaw), np.sin(yaw)])
    side = np.array([-np.sin(yaw), np.cos(yaw)])
    centre = np.array([x, y])
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    return [centre + s * abs(length) / 2 * heading + u * abs(width) / 2 * side for s, u in signs]


def _cross(o, a, b) -> Fraction:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _inside(point, poly) -> bool:
    return all(_cross(poly[i], poly[(i + 1) % 4], point) >= 0 for i in range(4))


def _segment_points(p, q, a, b) -> list:
    """Exact intersection points of segments p–q and a–b (both ends if collinear and overlapping)."""
    d1, d2 = (q[0] - p[0], q[1] - p[1]), (b[0] - a[0], b[1] - a[1])
    denom = d1[0] * d2[1] - d1[1] * d2[0]
    if denom == 0:
        return []  # parallel: collinear overlaps are covered by the contained corners
    t = ((a[0] - p[0]) * d2[1] - (a[1] - p[1]) * d2[0]) / denom
    u = ((a[0] - p[0]) * d1[1] - (a[1] - p[1]) * d1[0]) / denom
    if 0 <= t <= 1 and 0 <= u <= 1:
        return [(p[0] + t * d1[0], p[1] + t * d1[1])]
    return []


def _hull_area(points: list) -> Fraction:
    points = sorted(set(points))
    if len(points) < 3:
        return Fraction(0)
    lower, upper = [], []
    for p in points:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(points):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return abs(sum(hull[i][0] * hull[(i + 1) % len(hull)][1] - hull[(i + 1) % len(hull)][0] * hull[i][1]
                   for i in range(len(hull)))) / 2


def exact_iou(row1, row2) -> float:
    poly1 = [(Fraction(p[0]), Fraction(p[1])) for p in _ref_corners(row1)]
    poly2 = [(Fraction(p[0]), Fraction(p[1])) for p in _ref_corners(row2)]
    candidates = [p for p in poly1 if _inside(p, poly2)] + [p for p in poly2 if _inside(p, poly1)]
    for i in range(4):
        for j in range(4):
            candidates += _segment_points(poly1[i], poly1[(i + 1) % 4], poly2[j], poly2[(j + 1) % 4])
    inter = _hull_area(candidates)
    union = _hull_area(poly1) + _hull_area(poly2) - inter
    return float(inter / union) if union > 0 else 0.0


# --------------------------------------------------------------------------------------------- the cases
ISSUE_REVERSED = ([2.5354323, -18.975813, -1, 4.9971786, 2.062018, 1.5, -2.779531],
                  [2.5354323, -18.975813, -1, 4.9971786, 2.062018, 1.5, 0.36206174])
ISSUE_ALONG_HEADING = ([44.894367, -3.995486, -1, 4.7840333, 1.6440014, 1.5, -2.2476385],
                       [44.740112, -4.1874766, -1, 4.7840333, 1.6440014, 1.5, -2.2476385])


def _bev32(row) -> np.ndarray:
    """A 7-value box as float32 (what the metric receives), then its BEV row in float64."""
    return boxes_to_bev(np.asarray([row], dtype=np.float32))


@pytest.mark.parametrize('pair, expected', [(ISSUE_REVERSED, 1.0), (ISSUE_ALONG_HEADING, 0.902)])
def test_issue_cases(pair, expected):
    gt, det = _bev32(pair[0]), _bev32(pair[1])
    ours = bev_iou(det, gt)[0, 0]
    assert ours == pytest.approx(exact_iou(det[0], gt[0]), abs=1e-9)
    assert ours == pytest.approx(expected, abs=1e-3)
    assert bev_iou(gt, det)[0, 0] == pytest.approx(ours, abs=1e-12)  # symmetric


def _degenerate_pairs() -> list:
    rng = np.random.default_rng(1)
    pairs = []
    for _ in range(20):
        x, y = rng.uniform(-50, 50, 2)
        length, width = rng.uniform(0.5, 6, 2)
        yaw = rng.uniform(-np.pi, np.pi)
        base = np.array([x, y, length, width, yaw])
        heading = np.array([np.cos(yaw), np.sin(yaw)])
        side = np.array([-np.sin(yaw), np.cos(yaw)])
        shift = rng.uniform(0.05, 0.9) * length
        pairs += [
            (base, base.copy()),  # identical
            (base, base + [0, 0, 0, 0, np.pi]),  # reversed heading
            (base, base + [0, 0, 0, 0, -np.pi]),
            (base, np.r_[base[:2] + shift * heading, base[2:]]),  # collinear long edges
            (base, np.r_[base[:2] + shift * heading, base[2:4], yaw + np.pi]),  # collinear and reversed
            (base, np.r_[base[:2] + width * side, base[2:]]),  # shared long edge, no area
            (base, np.r_[base[:2] + length * heading + width * side, base[2:]]),  # shared corner only
            (base, np.r_[base[:2] + 0.5 * width * side, base[2:]]),  # half overlap sideways
            (base, np.r_[base[:2], 2 * length, width, yaw]),  # twice as long, same centre
            (base, np.r_[base[:2] + 0.5 * length * heading, 2 * length, width, yaw]),  # twice as long, collinear
            (base, np.r_[base[:2], width, length, yaw + np.pi / 2]),  # the same rectangle, rotated 90°
            (base, np.r_[base[:2], 0.0, width, yaw]),  # zero-area box inside
        ]
    pairs.append((np.zeros(5), np.zeros(5)))  # two zero-area boxes
    return pairs


def test_degenerate_pairs_match_exact_arithmetic():
    pairs = _degenerate_pairs()
    first = np.stack([p[0] for p in pairs])
    second = np.stack([p[1] for p in pairs])
    for cast in (np.float64, np.float32):  # float32 boxes as the metric gets them, and float64
        a, b = first.astype(cast).astype(np.float64), second.astype(cast).astype(np.float64)
        ours = np.diag(bev_iou(a, b))
        reference = np.array([exact_iou(r1, r2) for r1, r2 in zip(a, b)])
        np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=0)
    ours = np.diag(bev_iou(first, second))
    kinds = ours[:-1].reshape(20, 12)
    np.testing.assert_allclose(kinds[:, :3], 1.0, atol=1e-9)  # identical and reversed: IoU 1
    np.testing.assert_allclose(kinds[:, 5:7], 0.0, atol=1e-9)  # shared edge / corner only
    np.testing.assert_allclose(kinds[:, 7], 1 / 3, atol=1e-9)  # half overlap: 0.5 / 1.5
    np.testing.assert_allclose(kinds[:, 8], 0.5, atol=1e-9)
    np.testing.assert_allclose(kinds[:, 10], 1.0, atol=1e-9)
    np.testing.assert_allclose(kinds[:, 11], 0.0, atol=1e-12)
    assert ours[-1] == 0.0


def _random_pairs(num: int, seed: int) -> tuple:
    """Random pairs of the kinds the issue lists, plus generic overlaps, as float32 BEV rows."""
    rng = np.random.default_rng(seed)
    base = np.column_stack([rng.uniform(-60, 60, (num, 2)), rng.uniform(0.3, 12, num), rng.uniform(0.3, 3, num),
                            rng.uniform(-np.pi, np.pi, num)])
    heading = np.column_stack([np.cos(base[:, 4]), np.sin(base[:, 4])])
    side = np.column_stack([-np.sin(base[:, 4]), np.cos(base[:, 4])])
    kind = rng.integers(0, 5, num)
    other = base.copy()
    along = rng.uniform(-1, 1, num)[:, None] * base[:, 2:3]
    across = rng.uniform(-1, 1, num)[:, None] * base[:, 3:4]
    other[kind == 0, 4] += np.pi  # reversed heading
    other[kind == 1, :2] += (along * heading)[kind == 1]  # moved along the heading (collinear edges)
    other[kind == 2, :2] += (along * heading)[kind == 2]
    other[kind == 2, 2] *= 2  # twice as long, collinear
    other[kind == 3, :2] += (across * side)[kind == 3]  # moved sideways (parallel, collinear ends)
    generic = kind == 4
    other[generic, :2] += rng.normal(0, 1.5, (generic.sum(), 2))
    other[generic, 2:4] *= rng.uniform(0.5, 1.5, (generic.sum(), 2))
    other[generic, 4] += rng.normal(0, 0.5, generic.sum())
    return base.astype(np.float32).astype(np.float64), other.astype(np.float32).astype(np.float64)


def test_random_pairs_match_exact_arithmetic():
    first, second = _random_pairs(300, seed=2)
    ours = np.array([bev_iou(a[None], b[None])[0, 0] for a, b in zip(first, second)])
    reference = np.array([exact_iou(a, b) for a, b in zip(first, second)])
    assert (reference > 0.1).mean() > 0.8
    np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=0)
    # the pairwise (N, M) matrix of the metric gives the same values on its diagonal
    np.testing.assert_allclose(np.diag(bev_iou(first, second)), ours, atol=1e-12)


def test_10000_random_pairs_match_shapely():
    geometry = pytest.importorskip('shapely.geometry')
    first, second = _random_pairs(10_000, seed=3)
    ours = np.concatenate([np.diag(bev_iou(first[start:start + 500], second[start:start + 500]))
                           for start in range(0, len(first), 500)])  # (N, M) blocks, diagonal = the pairs
    reference = []
    for a, b in zip(first, second):
        pa, pb = geometry.Polygon(_ref_corners(a)), geometry.Polygon(_ref_corners(b))
        inter = pa.intersection(pb).area
        reference.append(inter / (pa.area + pb.area - inter))
    np.testing.assert_allclose(ours, reference, atol=1e-5, rtol=0)


# ----------------------------------------------------------------------------------- conventions and API
def _boxes(rows) -> 'structures.LiDARInstance3DBoxes':
    return structures.LiDARInstance3DBoxes(torch.tensor(rows, dtype=torch.float32))


def test_corners_follow_mmdet3d_yaw_convention():
    rng = np.random.default_rng(4)
    rows = np.column_stack([rng.uniform(-20, 20, (8, 2)), rng.uniform(-1, 0, 8), rng.uniform(2, 5, 8),
                            rng.uniform(1, 2.5, 8), rng.uniform(1, 2, 8), rng.uniform(-np.pi, np.pi, 8)])
    boxes = _boxes(rows)
    theirs = boxes.corners.numpy()[:, :, :2].astype(np.float64)  # 8 corners, bottom and top
    ours = bev_corners(boxes_to_bev(boxes))
    for mine, reference in zip(ours, theirs):
        distance = np.linalg.norm(mine[:, None] - reference[None], axis=-1).min(1)
        np.testing.assert_allclose(distance, 0.0, atol=1e-4)
        cross = np.cross(np.roll(mine, -1, 0) - mine, np.roll(mine, -2, 0) - np.roll(mine, -1, 0))
        assert (cross > 0).all()  # counter-clockwise


def test_hand_computed_ious():
    a = _boxes([[0, 0, 0, 4, 2, 1.5, 0.0]])
    b = _boxes([[1, 0, 0, 4, 2, 1.5, 0.0], [0, 0, 0, 4, 2, 1.5, np.pi / 2],
                [10, 0, 0, 4, 2, 1.5, 0.3], [0, 0, 0, 4, 2, 1.5, np.pi]])
    # shifted 1 m along x: 6 / (8 + 8 - 6) = 0.6; crossed: 4 / 12; disjoint: 0; reversed: 1 (π and π/2 in float32)
    np.testing.assert_allclose(bev_iou(boxes_to_bev(a), boxes_to_bev(b)), [[0.6, 1 / 3, 0.0, 1.0]],
                               atol=1e-6)


def test_yaw_is_counter_clockwise():
    # 4 m x 0.5 m boxes centred on (1, 1) at yaw +45° and -45°: only the +45° one reaches a probe at (2.2, 2.2)
    along = np.array([[2.2, 2.2, 0.5, 0.5, 0.0]])
    plus = np.array([[1.0, 1.0, 4.0, 0.5, np.pi / 4]])
    minus = np.array([[1.0, 1.0, 4.0, 0.5, -np.pi / 4]])
    assert bev_iou(plus, along)[0, 0] > 0 and bev_iou(minus, along)[0, 0] == 0.0


def test_empty():
    assert bev_iou(np.zeros((0, 5)), np.ones((3, 5))).shape == (0, 3)
    assert boxes_to_bev(None).shape == (0, 5)
