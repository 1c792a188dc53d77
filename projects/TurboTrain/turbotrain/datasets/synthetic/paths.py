"""Arclength-parametrised 2D paths (world xy, metres) used as lanes, sidewalks and crosswalks.

A :class:`Path` is a dense polyline; positions, headings (rad, about +z from +x) and curvatures
(1/m) are looked up by arclength ``s`` (m). ``Path.from_waypoints`` rounds every interior corner
with a quadratic Bézier fillet, which is how turns at intersections and lane changes are built.
"""
from typing import Sequence

import numpy as np

__all__ = ['Path']


class Path:
    """Dense polyline in the world xy plane, looked up by arclength.

    Args:
        points: (P, 2) world xy (m), P >= 2, consecutive points distinct.
    """

    def __init__(self, points: np.ndarray) -> None:
        points = np.asarray(points, dtype=np.float64)
        seg = np.diff(points, axis=0)
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        keep = np.concatenate([[True], seg_len > 1e-9])
        points = points[keep]
        if len(points) < 2:
            raise ValueError('a path needs at least two distinct points')
        seg = np.diff(points, axis=0)
        seg_len = np.hypot(seg[:, 0], seg[:, 1])
        self.points = points
        self.s = np.concatenate([[0.0], np.cumsum(seg_len)])
        self.length = float(self.s[-1])
        seg_heading = np.unwrap(np.arctan2(seg[:, 1], seg[:, 0]))
        # Heading at each vertex: mean of the adjacent segments (ends: the single segment).
        vertex_heading = np.empty(len(points))
        vertex_heading[0], vertex_heading[-1] = seg_heading[0], seg_heading[-1]
        vertex_heading[1:-1] = 0.5 * (seg_heading[:-1] + seg_heading[1:])
        self._heading = vertex_heading
        if len(points) > 2:
            curvature = np.gradient(vertex_heading, self.s)
        else:
            curvature = np.zeros(len(points))
        self.curvature_at_vertices = curvature

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_waypoints(cls,
                       waypoints: Sequence[Sequence[float]],
                       corner_radius: float = 0.0,
                       step: float = 0.5) -> 'Path':
        """Polyline through ``waypoints`` (world xy, m), resampled every ``step`` m.

        Each interior corner is cut back by ``corner_radius`` (at most half of each adjacent
        segment) and replaced by a quadratic Bézier whose control point is the corner.
        """
        wps = np.asarray(waypoints, dtype=np.float64)
        pieces = [wps[:1]]
        for i in range(1, len(wps) - 1):
            prev_pt, corner, next_pt = wps[i - 1], wps[i], wps[i + 1]
            d_in, d_out = corner - prev_pt, next_pt - corner
            len_in, len_out = np.linalg.norm(d_in), np.linalg.norm(d_out)
            cut = min(corner_radius, 0.5 * len_in, 0.5 * len_out)
            if cut <= 1e-6:
                pieces.append(corner[None])
                continue
            start = corner - d_in / len_in * cut
            end = corner + d_out / len_out * cut
            n = max(4, int(np.ceil(2.0 * cut / step)) * 2)
            u = np.linspace(0.0, 1.0, n)[:, None]
            bezier = (1 - u)**2 * start + 2 * (1 - u) * u * corner + u**2 * end
            pieces.append(bezier)
        pieces.append(wps[-1:])
        coarse = np.concatenate(pieces, axis=0)
        return cls(coarse).resampled(step)

    def resampled(self, step: float) -> 'Path':
        """The same path with vertices every ``step`` m (keeps both ends)."""
        n = max(2, int(np.ceil(self.length / step)) + 1)
        s = np.linspace(0.0, self.length, n)
        return Path(self.position(s))

    # ------------------------------------------------------------------ look-ups
    def position(self, s: np.ndarray) -> np.ndarray:
        """World xy (…, 2) at arclength ``s`` (m); clamped to the ends."""
        s = np.asarray(s, dtype=np.float64)
        x = np.interp(s, self.s, self.points[:, 0])
        y = np.interp(s, self.s, self.points[:, 1])
        return np.stack([x, y], axis=-1)

    def heading(self, s: np.ndarray) -> np.ndarray:
        """Heading (rad, about +z from world +x, not wrapped) at arclength ``s``."""
        return np.interp(np.asarray(s, dtype=np.float64), self.s, self._heading)

    def curvature(self, s: np.ndarray) -> np.ndarray:
        """Signed curvature (1/m) at arclength ``s``."""
        return np.interp(np.asarray(s, dtype=np.float64), self.s, self.curvature_at_vertices)

    def transformed(self, yaw: float, offset: Sequence[float] = (0.0, 0.0)) -> 'Path':
        """The path rotated by ``yaw`` (rad, about the world origin) then shifted by ``offset``
        (m)."""
        c, s = np.cos(yaw), np.sin(yaw)
        rot = np.array([[c, -s], [s, c]])
        return Path(self.points @ rot.T + np.asarray(offset, dtype=np.float64))
