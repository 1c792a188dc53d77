"""Populate a layout with objects: the two connected vehicles, parked vehicles and moving traffic.

Objects are sampled one by one and rejected if their box ever overlaps (bird's-eye view, with a
margin) an already accepted object at a frame where both exist, so the scene has no collisions.
Object ids are stable integers; the connected vehicles keep their agent id as object id (1, 2),
every other object gets an id from ``FIRST_OBJECT_ID`` upwards. Classes are V2X-Real ``obj_type``
strings.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .kinematics import FRAME_DT, MotionPlan, ObjectTrack
from .paths import Path
from .scene_layout import Route, SceneLayout

__all__ = ['ObjectClass', 'OBJECT_CLASSES', 'build_traffic', 'boxes_overlap_bev', 'FIRST_OBJECT_ID']

FIRST_OBJECT_ID = 100


@dataclass(frozen=True)
class ObjectClass:
    """Size ranges (full l, w, h in m), cruise speed range (m/s) and reflectivity range of one
    class."""

    length: Tuple[float, float]
    width: Tuple[float, float]
    height: Tuple[float, float]
    speed: Tuple[float, float]
    reflectivity: Tuple[float, float]


OBJECT_CLASSES: Dict[str, ObjectClass] = {
    'Car': ObjectClass((4.2, 4.9), (1.75, 1.95), (1.4, 1.7), (7.0, 13.0), (0.35, 0.9)),
    'Van': ObjectClass((4.9, 5.6), (1.9, 2.1), (1.9, 2.4), (6.0, 11.0), (0.35, 0.8)),
    'Truck': ObjectClass((6.5, 9.0), (2.3, 2.6), (2.8, 3.6), (5.0, 10.0), (0.3, 0.7)),
    'Bus': ObjectClass((10.5, 12.5), (2.5, 2.6), (3.0, 3.3), (5.0, 9.0), (0.3, 0.6)),
    'Pedestrian': ObjectClass((0.45, 0.7), (0.45, 0.7), (1.55, 1.9), (0.9, 1.6), (0.15, 0.45)),
    'BicycleRider': ObjectClass((1.6, 1.9), (0.55, 0.75), (1.6, 1.85), (3.5, 6.0), (0.2, 0.5)),
}
VEHICLE_MIX = (('Car', 0.68), ('Van', 0.12), ('Truck', 0.12), ('Bus', 0.08))
CONNECTED_VEHICLE_SIZE = (4.6, 1.9, 1.55
                          )  # l, w, h (m): the LiDAR sits 1.8 m above ground, above the roof


def boxes_overlap_bev(xy_a: np.ndarray,
                      yaw_a: np.ndarray,
                      half_a: np.ndarray,
                      xy_b: np.ndarray,
                      yaw_b: np.ndarray,
                      half_b: np.ndarray,
                      margin: float = 0.0) -> np.ndarray:
    """Separating-axis test of bird's-eye-view rectangles, broadcast over leading dimensions.

    Args:
        xy_*: (..., 2) centres (world m). yaw_*: (...) rad. half_*: (..., 2) half length / half
            width (m).
        margin: extra clearance (m) required for the boxes to count as separate.
    Returns:
        (...) bool, True where the rectangles (grown by ``margin`` / 2 each) overlap.
    """
    axes_a = np.stack([
        np.stack([np.cos(yaw_a), np.sin(yaw_a)], -1),
        np.stack([-np.sin(yaw_a), np.cos(yaw_a)], -1)
    ], -2)  # (..., 2 axes, 2)
    axes_b = np.stack([
        np.stack([np.cos(yaw_b), np.sin(yaw_b)], -1),
        np.stack([-np.sin(yaw_b), np.cos(yaw_b)], -1)
    ], -2)
    delta = xy_b - xy_a
    separated = np.zeros(np.broadcast_shapes(delta.shape[:-1], np.shape(yaw_a), np.shape(yaw_b)),
                         bool)
    for axes in (axes_a, axes_b):
        for k in range(2):
            u = axes[..., k, :]
            dist = np.abs(np.sum(delta * u, -1))
            rad_a = half_a[..., 0] * np.abs(np.sum(axes_a[..., 0, :] * u, -1)) + \
                half_a[..., 1] * np.abs(np.sum(axes_a[..., 1, :] * u, -1))
            rad_b = half_b[..., 0] * np.abs(np.sum(axes_b[..., 0, :] * u, -1)) + \
                half_b[..., 1] * np.abs(np.sum(axes_b[..., 1, :] * u, -1))
            separated |= dist > rad_a + rad_b + margin
    return ~separated


class _Scene:
    """Accepted tracks stacked for fast overlap checks."""

    def __init__(self, num_frames: int) -> None:
        self.num_frames = num_frames
        self.tracks: List[ObjectTrack] = []

    def collides(self, track: ObjectTrack, margin: float) -> bool:
        if not self.tracks:
            return False
        xy = np.stack([t.xy for t in self.tracks])  # (N, T, 2)
        yaw = np.stack([t.yaw for t in self.tracks])
        half = np.stack(
            [np.broadcast_to(t.size[:2] / 2.0, (self.num_frames, 2)) for t in self.tracks])
        valid = np.stack([t.valid for t in self.tracks]) & track.valid[None]
        if not valid.any():
            return False
        overlap = boxes_overlap_bev(xy, yaw, half, track.xy[None], track.yaw[None],
                                    np.broadcast_to(track.size[:2] / 2.0, (1, self.num_frames, 2)),
                                    margin)
        return bool((overlap & valid).any())

    def add(self, track: ObjectTrack) -> None:
        self.tracks.append(track)


def _sample_size(rng: np.random.Generator, cls: ObjectClass) -> np.ndarray:
    return np.array([rng.uniform(*cls.length), rng.uniform(*cls.width), rng.uniform(*cls.height)])


def _vehicle_plan(rng: np.random.Generator,
                  route: Route,
                  length: float,
                  speed_range: Tuple[float, float],
                  duration: float,
                  s0: float,
                  stop_prob: float = 0.4) -> MotionPlan:
    """Cruise, change speed, brake to a stop line and (maybe) pull away again."""
    cruise = rng.uniform(*speed_range)
    v0 = 0.0 if rng.random() < 0.12 else cruise * rng.uniform(0.5, 1.05)
    speeds = [(0.0, cruise)]
    if rng.random() < 0.4:
        speeds.append(
            (rng.uniform(0.0, duration), float(np.clip(cruise * rng.uniform(0.35, 1.5), 2.0,
                                                       16.0))))
    plan = MotionPlan(s0=s0,
                      v0=v0,
                      desired_speeds=speeds,
                      max_accel=rng.uniform(1.5, 3.0),
                      max_decel=rng.uniform(3.0, 5.0),
                      lateral_accel=rng.uniform(2.0, 3.0))
    if route.stop_s is not None and rng.random() < stop_prob:
        plan.stop_s = route.stop_s - length / 2.0 - rng.uniform(0.3, 1.5)
        plan.release_time = None if rng.random() < 0.4 else rng.uniform(0.3, 1.2) * duration
    return plan


def _pedestrian_plan(rng: np.random.Generator, route: Route, speed_range: Tuple[float, float],
                     duration: float, s0: float) -> MotionPlan:
    """Walk, stand, or wait and then start walking (optionally waiting at the kerb before
    crossing)."""
    walk = rng.uniform(*speed_range)
    mode = rng.random()
    if mode < 0.15:
        speeds, v0 = [(0.0, 0.0)], 0.0
    elif mode < 0.4:
        speeds, v0 = [(0.0, 0.0), (rng.uniform(0.0, duration), walk)], 0.0
    else:
        speeds, v0 = [(0.0, walk)], walk * rng.uniform(0.7, 1.0)
        if rng.random() < 0.3:
            speeds.append((rng.uniform(0.0, duration), walk * rng.uniform(0.5, 1.4)))
    plan = MotionPlan(s0=s0,
                      v0=v0,
                      desired_speeds=speeds,
                      max_accel=1.0,
                      max_decel=2.0,
                      lateral_accel=6.0)
    if route.stop_s is not None and rng.random() < 0.4:
        plan.stop_s = route.stop_s
        plan.release_time = rng.uniform(0.2, 1.2) * duration
    return plan


def _pick(rng: np.random.Generator, items: Sequence, weights: Optional[Sequence[float]] = None):
    if weights is None:
        return items[int(rng.integers(len(items)))]
    p = np.asarray(weights, float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def _connected_vehicles(rng: np.random.Generator, layout: SceneLayout, num_frames: int,
                        agent_ids: Sequence[int]) -> List[ObjectTrack]:
    """The connected vehicles: near the scene centre, valid on every frame, on different
    arms/directions."""
    duration = num_frames * FRAME_DT
    routes = layout.routes_of('vehicle')
    tracks: List[ObjectTrack] = []
    first_approach = 0.0
    for index, agent_id in enumerate(agent_ids):
        for _attempt in range(200):
            if layout.kind == 'intersection':
                if index == 0:
                    candidates = routes
                else:
                    # the second vehicle comes from a crossing arm, hidden behind corner buildings
                    candidates = [
                        r for r in routes
                        if abs(((r.approach_deg - first_approach) % 180.0) - 90.0) < 1.0
                    ]
                route = _pick(rng, candidates)
                s0 = route.stop_s - rng.uniform(12.0, 40.0)
            else:
                candidates = [r for r in routes if r.maneuver != 'lane_change' or index == 0]
                route = _pick(rng, candidates)
                s0 = route.focus_s + rng.uniform(-45.0, 15.0)
            plan = _vehicle_plan(rng,
                                 route,
                                 CONNECTED_VEHICLE_SIZE[0], (6.0, 10.0),
                                 duration,
                                 s0,
                                 stop_prob=0.3)
            track = ObjectTrack.from_path(agent_id,
                                          'Car',
                                          np.array(CONNECTED_VEHICLE_SIZE),
                                          route.path,
                                          plan,
                                          num_frames,
                                          center_offset=np.array([rng.uniform(-0.2, 0.2), 0.0]),
                                          reflectivity=0.6,
                                          agent_id=agent_id)
            if not track.valid.all():
                continue
            if any(
                    boxes_overlap_bev(t.xy, t.yaw, t.size[:2] /
                                      2, track.xy, track.yaw, track.size[:2] / 2, 1.0).any()
                    for t in tracks):
                continue
            if index == 0 and route.approach_deg is not None:
                first_approach = route.approach_deg
            tracks.append(track)
            break
        else:
            raise RuntimeError(
                f'could not place connected vehicle {agent_id} on a route for all {num_frames} '
                'frames without collisions; use fewer frames per scenario (up to about 150)')
    return tracks


def build_traffic(layout: SceneLayout,
                  rng: np.random.Generator,
                  num_frames: int,
                  density: float = 1.0,
                  agent_ids: Sequence[int] = (1, 2)) -> List[ObjectTrack]:
    """All objects of one scenario (connected vehicles first), no two overlapping at any frame.

    Args:
        layout: the static map.
        rng: the scenario's random generator.
        num_frames: scenario length (frames at 10 Hz).
        density: multiplier on the number of moving objects.
        agent_ids: ids of the connected vehicles (also their object ids).
    """
    duration = num_frames * FRAME_DT
    scene = _Scene(num_frames)
    for track in _connected_vehicles(rng, layout, num_frames, agent_ids):
        scene.add(track)
    next_id = FIRST_OBJECT_ID
    # Parked vehicles (static, zero speed): strong occluders of the sidewalk.
    for x, y, yaw in layout.parking_spots:
        if rng.random() > 0.6:
            continue
        obj_type = _pick(rng, ('Car', 'Van', 'Truck'), (0.75, 0.18, 0.07))
        cls = OBJECT_CLASSES[obj_type]
        size = _sample_size(rng, cls)
        size[1] = min(size[1], 2.2)
        path = Path(np.array([[x, y], [x + np.cos(yaw), y + np.sin(yaw)]]))
        track = ObjectTrack.from_path(next_id,
                                      obj_type,
                                      size,
                                      path,
                                      MotionPlan(s0=0.0, v0=0.0, desired_speeds=[(0.0, 0.0)]),
                                      num_frames,
                                      reflectivity=rng.uniform(*cls.reflectivity))
        if not scene.collides(track, 0.2):
            scene.add(track)
            next_id += 1
    # Moving traffic.
    kinds = ('vehicle', 'pedestrian', 'bicycle')
    targets = {
        'vehicle': int(round(22 * density)),
        'pedestrian': int(round(12 * density)),
        'bicycle': int(round(3 * density))
    }
    for kind in kinds:
        routes = layout.routes_of(kind)
        placed = 0
        for _attempt in range(targets[kind] * 4):
            if placed >= targets[kind]:
                break
            route = _pick(rng, routes)
            if kind == 'vehicle':
                obj_type = _pick(rng, [c for c, _ in VEHICLE_MIX], [w for _, w in VEHICLE_MIX])
            elif kind == 'pedestrian':
                obj_type = 'Pedestrian'
            else:
                obj_type = 'BicycleRider'
            cls = OBJECT_CLASSES[obj_type]
            size = _sample_size(rng, cls)
            if kind == 'pedestrian':
                s0 = rng.uniform(0.0, route.path.length)
                plan = _pedestrian_plan(rng, route, cls.speed, duration, s0)
                offset = np.zeros(2)
            else:
                s0 = route.focus_s + rng.uniform(-85.0, 60.0)
                plan = _vehicle_plan(rng, route, size[0], cls.speed, duration, s0)
                offset = np.array([rng.uniform(-0.25, 0.25), 0.0])
            track = ObjectTrack.from_path(next_id,
                                          obj_type,
                                          size,
                                          route.path,
                                          plan,
                                          num_frames,
                                          center_offset=offset,
                                          reflectivity=rng.uniform(*cls.reflectivity))
            if not track.valid.any() or scene.collides(track, 0.6 if kind == 'vehicle' else 0.25):
                continue
            scene.add(track)
            next_id += 1
            placed += 1
    return scene.tracks
