"""Rotating multi-beam LiDAR simulated by vectorised ray casting (numpy).

Rays leave the sensor origin on a fixed grid of beams (elevation) × columns (azimuth) in the
**sensor frame**, are rotated into the world with the sensor-to-world matrix ``T`` (OpenCOOD pose
convention), and are intersected with the ground plane (world z = 0) and with oriented boxes
(objects and static buildings) by the slab test in each box's own frame. The nearest hit wins, which
gives occlusion. Then returns beyond ``max_range`` are dropped, returns are randomly dropped (more
at long range), Gaussian range noise is added along the ray and an intensity in [0, 1] is computed
from the surface reflectivity, the incidence angle and the range.

Output points are in the sensor frame: ``p_sensor = r · d_sensor`` so ``T @ p_sensor`` is the world
    hit point.
Every return carries a label: the object id that produced it, ``GROUND_LABEL`` or ``STATIC_LABEL``.
"""
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

__all__ = ['LidarSpec', 'LidarScan', 'simulate_scan', 'GROUND_LABEL', 'STATIC_LABEL']

GROUND_LABEL = -1
STATIC_LABEL = -2  # buildings and other static occluders
_NO_HIT = -9


@dataclass(frozen=True)
class LidarSpec:
    """A rotating LiDAR: ``num_beams`` × ``num_columns`` rays per sweep.

    Angles in degrees, ranges in metres; ``range_noise_std`` is the 1-σ range error (clipped at 3σ);
    a return is dropped with probability ``dropout + far_dropout · (r / max_range)²``.
    """

    num_beams: int = 32
    num_columns: int = 1024
    elevation_min_deg: float = -25.0
    elevation_max_deg: float = 15.0
    max_range: float = 100.0
    min_range: float = 1.0
    range_noise_std: float = 0.02
    dropout: float = 0.03
    far_dropout: float = 0.25
    azimuth_offset_deg: float = 0.0

    @property
    def num_rays(self) -> int:
        return self.num_beams * self.num_columns


@lru_cache(maxsize=16)
def _sensor_directions(spec: LidarSpec) -> np.ndarray:
    """(num_beams, num_columns, 3) unit ray directions in the sensor frame."""
    elevation = np.radians(
        np.linspace(spec.elevation_min_deg, spec.elevation_max_deg, spec.num_beams))
    azimuth = np.radians(
        spec.azimuth_offset_deg) + np.arange(spec.num_columns) * (2 * np.pi / spec.num_columns)
    cos_e = np.cos(elevation)[:, None]
    dirs = np.stack([
        cos_e * np.cos(azimuth)[None], cos_e * np.sin(azimuth)[None],
        np.broadcast_to(np.sin(elevation)[:, None], (spec.num_beams, spec.num_columns))
    ], -1)
    dirs.setflags(write=False)
    return dirs


class LidarScan(NamedTuple):
    """One sweep. points: (N, 4) float32 ``[x, y, z, intensity]`` in the sensor frame; labels: (N,)
    int64."""

    points: np.ndarray
    labels: np.ndarray


def _box_corners(boxes: np.ndarray) -> np.ndarray:
    """(K, 8, 3) world corners of (K, 7) boxes ``[cx, cy, cz, l, w, h, yaw]``."""
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
    local = signs[None] * boxes[:, None, 3:6] / 2.0
    c, s = np.cos(boxes[:, 6])[:, None], np.sin(boxes[:, 6])[:, None]
    world = np.stack([
        c * local[..., 0] - s * local[..., 1], s * local[..., 0] + c * local[..., 1], local[..., 2]
    ], -1)
    return world + boxes[:, None, :3]


def _column_spans(spec: LidarSpec, corners_sensor: np.ndarray) -> np.ndarray:
    """(K, 2) inclusive column ranges ``[lo, hi]`` whose azimuths can hit each box.

    Computed from the (K, 8, 3) sensor-frame corners; indices may leave [0, C) (wrap with modulo);
    ``[0, C - 1]`` when the sensor lies inside a box's azimuth hull. The sensor-xy projection of a
    box is the convex hull of its projected corners, so when the sensor is outside it every point of
    the box lies within the azimuth span of the corners.
    """
    az = np.arctan2(corners_sensor[..., 1], corners_sensor[..., 0])
    centre = np.arctan2(corners_sensor[..., 1].mean(1), corners_sensor[..., 0].mean(1))
    rel = np.angle(np.exp(1j * (az - centre[:, None])))
    step = 2 * np.pi / spec.num_columns
    start = np.radians(spec.azimuth_offset_deg)
    lo = np.ceil((centre + rel.min(1) - start) / step).astype(np.int64)
    hi = np.floor((centre + rel.max(1) - start) / step).astype(np.int64)
    around = rel.max(1) - rel.min(1) > np.radians(170.0)
    lo[around], hi[around] = 0, spec.num_columns - 1
    return np.stack([lo, hi], 1)


def _beam_spans(spec: LidarSpec, corners_sensor: np.ndarray) -> np.ndarray:
    """(K, 2) half-open beam index ranges ``[lo, hi)`` whose elevations can hit each box.

    Conservative bounds from the (K, 8, 3) sensor-frame corners: height is linear, so its extremes
    are at corners; horizontal distance is convex, so its maximum is at a corner and its minimum is
    at least (centre distance - largest corner offset from the centre).
    """
    z = corners_sensor[..., 2]
    rho = np.hypot(corners_sensor[..., 0], corners_sensor[..., 1])
    centre = corners_sensor.mean(1)
    reach = np.hypot(corners_sensor[..., 0] - centre[:, None, 0],
                     corners_sensor[..., 1] - centre[:, None, 1]).max(1)
    rho_min = np.maximum(np.hypot(centre[:, 0], centre[:, 1]) - reach, 1e-6)
    rho_max = rho.max(1)
    z_max, z_min = z.max(1), z.min(1)
    top = np.arctan2(z_max, np.where(z_max > 0, rho_min, rho_max))
    bottom = np.arctan2(z_min, np.where(z_min > 0, rho_max, rho_min))
    elevation = _beam_elevations(spec)
    lo = np.searchsorted(elevation, bottom - 1e-9, side='left')
    hi = np.searchsorted(elevation, top + 1e-9, side='right')
    return np.stack([lo, hi], 1)


@lru_cache(maxsize=16)
def _beam_elevations(spec: LidarSpec) -> np.ndarray:
    """(num_beams,) ascending beam elevations (rad)."""
    return np.radians(np.linspace(spec.elevation_min_deg, spec.elevation_max_deg, spec.num_beams))


def simulate_scan(sensor_to_world: np.ndarray,
                  spec: LidarSpec,
                  boxes: np.ndarray,
                  box_labels: np.ndarray,
                  box_reflectivity: np.ndarray,
                  rng: np.random.Generator,
                  ground_reflectivity: float = 0.12) -> LidarScan:
    """Ray-cast one sweep.

    Args:
        sensor_to_world: (4, 4) sensor-frame → world matrix (from ``pose_to_matrix``).
        spec: the sensor.
        boxes: (K, 7) world boxes ``[cx, cy, cz, l, w, h, yaw]`` (gravity centre, full sizes, yaw
            rad) of every object and static occluder the rays can hit (leave out the sensor's own
            vehicle).
        box_labels: (K,) int label per box (object id, or ``STATIC_LABEL``).
        box_reflectivity: (K,) reflectivity in [0, 1].
        rng: random generator for dropout, noise and intensity noise.
        ground_reflectivity: reflectivity of the ground plane.
    Returns:
        :class:`LidarScan` with points in the sensor frame, ordered column by column (as a spinning
        sensor).
    """
    dirs_sensor = _sensor_directions(spec)
    rot = sensor_to_world[:3, :3]
    origin = sensor_to_world[:3, 3]
    dirs_world = dirs_sensor @ rot.T  # (B, C, 3)
    shape = dirs_world.shape[:2]
    t_hit = np.full(shape, np.inf)
    label = np.full(shape, _NO_HIT, dtype=np.int64)
    cos_incidence = np.ones(shape)
    reflectivity = np.zeros(shape)

    # Ground plane z = 0 (world).
    dz = dirs_world[..., 2]
    down = dz < -1e-6
    if origin[2] > 0:
        t_ground = np.where(down, -origin[2] / np.where(down, dz, -1.0), np.inf)
        hit = np.isfinite(t_ground)
        t_hit[hit] = t_ground[hit]
        label[hit] = GROUND_LABEL
        cos_incidence[hit] = -dz[hit]
        reflectivity[hit] = ground_reflectivity

    boxes = np.asarray(boxes, float).reshape(-1, 7)
    winner = np.full(shape, -1, dtype=np.int64)  # index of the box that returned each ray
    if len(boxes):
        near = np.linalg.norm(boxes[:, :3] - origin,
                              axis=1) - np.linalg.norm(boxes[:, 3:6], axis=1) / 2
        corners_sensor = (_box_corners(boxes) - origin) @ rot
        spans = _column_spans(spec, corners_sensor)
        beams = _beam_spans(spec, corners_sensor)
    for k in np.flatnonzero(near <= spec.max_range) if len(boxes) else []:
        lo, hi = spans[k]
        b_lo, b_hi = beams[k]
        if hi < lo or b_hi <= b_lo:
            continue
        cols = np.arange(lo, hi + 1) % spec.num_columns
        rows = slice(b_lo, b_hi)
        box = boxes[k]
        half = box[3:6] / 2.0
        c, s = np.cos(box[6]), np.sin(box[6])
        box_rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        origin_box = (origin - box[:3]) @ box_rot  # box-frame sensor origin
        dirs_box = dirs_world[rows, cols] @ box_rot  # (b, m, 3) box-frame directions
        dirs_box[np.abs(dirs_box) < 1e-12] = 1e-12
        inv = 1.0 / dirs_box
        t_a = (-half - origin_box) * inv
        t_b = (half - origin_box) * inv
        t_near = np.minimum(t_a, t_b).max(-1)
        t_far = np.maximum(t_a, t_b).min(-1)
        sub_t = t_hit[rows, cols]
        hit = (t_near <= t_far) & (t_near > 0.0) & (t_near < sub_t)
        if hit.any():
            t_hit[rows, cols] = np.where(hit, t_near, sub_t)
            winner[rows, cols] = np.where(hit, k, winner[rows, cols])

    # Labels, incidence and reflectivity of box returns: the entry face is the box axis along which
    # the hit point lies farthest out (relative to the half size).
    on_box = winner >= 0
    if on_box.any():
        k = winner[on_box]
        hit_box = boxes[k]
        c, s = np.cos(hit_box[:, 6]), np.sin(hit_box[:, 6])
        d = dirs_world[on_box]
        rel = origin + t_hit[on_box][:, None] * d - hit_box[:, :3]
        local = np.stack([c * rel[:, 0] + s * rel[:, 1], -s * rel[:, 0] + c * rel[:, 1], rel[:, 2]],
                         1)
        d_local = np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1], d[:, 2]], 1)
        axis = np.argmax(np.abs(local) / hit_box[:, 3:6] * 2.0, axis=1)
        cos_incidence[on_box] = np.abs(d_local[np.arange(len(k)), axis])
        label[on_box] = np.asarray(box_labels, dtype=np.int64)[k]
        reflectivity[on_box] = np.asarray(box_reflectivity, float)[k]

    # Column-major order, like a spinning sensor's packets.
    t_hit, label, cos_incidence, reflectivity = (a.T.reshape(-1)
                                                 for a in (t_hit, label, cos_incidence,
                                                           reflectivity))
    dirs_flat = np.transpose(dirs_sensor, (1, 0, 2)).reshape(-1, 3)
    keep = (label != _NO_HIT) & (t_hit <= spec.max_range) & (t_hit >= spec.min_range)
    drop_p = spec.dropout + spec.far_dropout * (np.minimum(t_hit, spec.max_range) /
                                                spec.max_range)**2
    keep &= rng.random(t_hit.shape) >= drop_p
    noise = np.clip(rng.normal(0.0, spec.range_noise_std, t_hit.shape), -3 * spec.range_noise_std,
                    3 * spec.range_noise_std)
    intensity_noise = rng.normal(0.0, 0.02, t_hit.shape)
    idx = np.flatnonzero(keep)
    rng_noisy = t_hit[idx] + noise[idx]
    points = np.empty((idx.size, 4), dtype=np.float32)
    points[:, :3] = rng_noisy[:, None] * dirs_flat[idx]
    intensity = reflectivity[idx] * (0.35 + 0.65 * cos_incidence[idx]) * (
        1.0 - 0.5 * t_hit[idx] / spec.max_range)
    points[:, 3] = np.clip(intensity + intensity_noise[idx], 0.0, 1.0)
    return LidarScan(points, label[idx])
