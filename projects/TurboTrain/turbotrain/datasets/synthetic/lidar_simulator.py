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


def _box_columns(spec: LidarSpec, corners_sensor: np.ndarray) -> np.ndarray:
    """Column indices whose azimuth can hit a box with the given (8, 3) sensor-frame corners.

    The sensor-xy projection of a box is the convex hull of its projected corners, so if the sensor
    is outside it every point of the box lies within the azimuth span of the corners.
    """
    az = np.arctan2(corners_sensor[:, 1], corners_sensor[:, 0])
    centre = np.arctan2(corners_sensor[:, 1].mean(), corners_sensor[:, 0].mean())
    rel = np.angle(np.exp(1j * (az - centre)))
    if rel.max() - rel.min() > np.radians(170.0):
        return np.arange(spec.num_columns)
    step = 2 * np.pi / spec.num_columns
    start = np.radians(spec.azimuth_offset_deg)
    lo = int(np.ceil((centre + rel.min() - start) / step))
    hi = int(np.floor((centre + rel.max() - start) / step))
    return np.arange(lo, hi + 1) % spec.num_columns


def _box_corners(box: np.ndarray) -> np.ndarray:
    """(8, 3) world corners of ``[cx, cy, cz, l, w, h, yaw]``."""
    cx, cy, cz, length, width, height, yaw = box
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)
    local = signs * np.array([length, width, height]) / 2.0
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return local @ rot.T + np.array([cx, cy, cz])


def simulate_scan(sensor_to_world: np.ndarray,
                  spec: LidarSpec,
                  boxes: np.ndarray,
                  box_labels: np.ndarray,
                  box_reflectivity: np.ndarray,
                  rng: np.random.Generator,
                  ground_reflectivity: float = 0.12) -> LidarScan:
    """Ray-cast one sweep.

    Args: sensor_to_world: (4, 4) sensor-frame → world matrix (from ``pose_to_matrix``). spec: the
        sensor. boxes: (K, 7) world boxes ``[cx, cy, cz, l, w, h, yaw]`` (gravity centre, full
        sizes, yaw rad) of every
            object and static occluder the rays can hit (leave out the sensor's own vehicle).
        box_labels: (K,) int label per box (object id, or ``STATIC_LABEL``).
        box_reflectivity: (K,) reflectivity in [0, 1].
        rng: random generator for dropout, noise and intensity noise.
        ground_reflectivity: reflectivity of the ground plane.
    Returns: :class:`LidarScan` with points in the sensor frame, ordered column by column (as a
        spinning sensor).
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

    reach = spec.max_range
    for box, box_label, box_refl in zip(np.asarray(boxes, float), box_labels, box_reflectivity):
        half = box[3:6] / 2.0
        if np.linalg.norm(box[:3] - origin) - np.linalg.norm(half) > reach:
            continue
        corners_sensor = (_box_corners(box) - origin) @ rot
        cols = _box_columns(spec, corners_sensor)
        if cols.size == 0:
            continue
        c, s = np.cos(box[6]), np.sin(box[6])
        box_rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        origin_box = (origin - box[:3]) @ box_rot  # box-frame sensor origin
        dirs_box = dirs_world[:, cols] @ box_rot  # (B, m, 3) box-frame directions
        dirs_box = np.where(np.abs(dirs_box) < 1e-12, 1e-12, dirs_box)
        inv = 1.0 / dirs_box
        t_a = (-half - origin_box) * inv
        t_b = (half - origin_box) * inv
        t_near_axes = np.minimum(t_a, t_b)
        t_near = t_near_axes.max(-1)
        t_far = np.maximum(t_a, t_b).min(-1)
        sub_t = t_hit[:, cols]
        hit = (t_near <= t_far) & (t_near > 0.0) & (t_near < sub_t)
        if not hit.any():
            continue
        axis = t_near_axes.argmax(-1)
        cos_sub = np.abs(np.take_along_axis(dirs_box, axis[..., None], -1)[..., 0])
        t_hit[:, cols] = np.where(hit, t_near, sub_t)
        label[:, cols] = np.where(hit, box_label, label[:, cols])
        cos_incidence[:, cols] = np.where(hit, cos_sub, cos_incidence[:, cols])
        reflectivity[:, cols] = np.where(hit, box_refl, reflectivity[:, cols])

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
