"""Static scene maps: intersections and corridors (roads, routes, buildings, infrastructure mounts).

Everything is in the world frame (metres, ground plane z = 0, headings in radians about +z from +x).
Traffic drives on the right. Buildings are the static occluders the LiDAR simulator ray-casts
against; they are not annotated objects. Infrastructure mounts are full OpenCOOD poses ``[x, y, z,
roll, yaw, pitch]`` (m, degrees) with a small non-zero roll and pitch, as real pole-mounted sensors
have.
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .paths import Path

__all__ = [
    'Route', 'SceneLayout', 'make_intersection_layout', 'make_corridor_layout', 'make_layout',
    'LANE_WIDTH', 'ROUTE_HALF_LENGTH'
]

LANE_WIDTH = 3.5  # m
ROAD_HALF_WIDTH = 2 * LANE_WIDTH  # two lanes each way
ROUTE_HALF_LENGTH = 140.0  # m, routes run this far from the scene centre
BUILDING_REACH = 85.0  # m, buildings are placed up to this distance from the centre


@dataclass
class Route:
    """A path that objects of one kind follow.

    Attributes:
        path: the world-frame path.
        kind: 'vehicle', 'bicycle' or 'pedestrian'.
        maneuver: 'straight', 'left', 'right', 'lane_change', 'walk' or 'cross'.
        stop_s: arclength (m) of a stop line / crosswalk edge on this route; ``None`` if there is
            none.
        focus_s: arclength (m) closest to the scene centre (objects are spawned around it).
        approach_deg: for intersection routes, the inbound travel heading (deg); else ``None``.
    """

    path: Path
    kind: str
    maneuver: str
    stop_s: Optional[float] = None
    focus_s: float = 0.0
    approach_deg: Optional[float] = None


@dataclass
class SceneLayout:
    """A static map.

    Attributes:
        kind: 'intersection' or 'corridor'.
        buildings: (K, 7) world boxes ``[cx, cy, cz, l, w, h, yaw]`` (gravity centre, full sizes,
            yaw rad).
        routes: every route objects may follow.
        parking_spots: (P, 3) ``[x, y, yaw]`` world positions for parked (static) vehicles.
        infrastructure_mounts: (2, 6) OpenCOOD poses ``[x, y, z, roll, yaw, pitch]`` (m, deg) of the
            infrastructure LiDARs (agent ids -1, -2 in this order).
    """

    kind: str
    buildings: np.ndarray
    routes: List[Route]
    parking_spots: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    infrastructure_mounts: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))

    def routes_of(self, kind: str) -> List[Route]:
        return [r for r in self.routes if r.kind == kind]


def _rot(points: np.ndarray, yaw_rad: float) -> np.ndarray:
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    return np.asarray(points, float) @ np.array([[c, -s], [s, c]]).T


def _frontage_blocks(rng: np.random.Generator,
                     start: float,
                     end: float,
                     setback: float,
                     depth_range=(10.0, 25.0),
                     height_range=(6.0, 28.0),
                     gap_prob: float = 0.2) -> List[list]:
    """Axis-aligned blocks along +u from ``start`` to ``end``, occupying v in [setback, setback +
    depth].

    Returned as ``[cu, cv, l_u, l_v, h]`` in a (u, v) frame; the caller maps (u, v) to world.
    """
    blocks = []
    u = start
    while u < end:
        length = rng.uniform(10.0, 32.0)
        length = min(length, end - u)
        if length < 4.0:
            break
        depth = rng.uniform(*depth_range)
        height = rng.uniform(*height_range)
        if rng.random() >= gap_prob or u == start:
            blocks.append([u + length / 2, setback + depth / 2, length, depth, height])
        u += length + rng.uniform(1.5, 7.0)  # alley
    return blocks


def _box(cx: float, cy: float, lx: float, ly: float, h: float) -> list:
    return [cx, cy, h / 2.0, lx, ly, h, 0.0]


def _infra_pose(rng: np.random.Generator, x: float, y: float, look_at=(0.0, 0.0)) -> list:
    """Pole-mounted LiDAR pose, 4.5–6 m high, looking roughly at ``look_at`` with small roll/pitch
    (deg)."""
    yaw = np.degrees(np.arctan2(look_at[1] - y, look_at[0] - x)) + rng.uniform(-10, 10)
    roll = rng.choice([-1, 1]) * rng.uniform(0.5, 2.5)
    pitch = rng.choice([-1, 1]) * rng.uniform(0.5, 2.5)
    return [x, y, rng.uniform(4.5, 6.0), roll, yaw, pitch]


def make_intersection_layout(rng: np.random.Generator) -> SceneLayout:
    """Four-arm intersection at the world origin, roads along x and y, buildings on the four
    corners.

    Corner buildings hide each arm from the others, so a vehicle approaching on one arm cannot see
    traffic on the crossing arms while an infrastructure LiDAR on a corner can.
    """
    half = ROAD_HALF_WIDTH
    stop_line = half + 3.5  # stop line beyond the crosswalk
    far = ROUTE_HALF_LENGTH
    routes: List[Route] = []
    inner, outer = LANE_WIDTH / 2, LANE_WIDTH * 1.5
    # Canonical approach: travel +x on the lanes y = -inner (left turn / straight) and
    # y = -outer (right turn / straight); the other approaches are rotations of it.
    canonical = {
        ('straight', inner): [(-far, -inner), (far, -inner)],
        ('straight', outer): [(-far, -outer), (far, -outer)],
        ('left', inner): [(-far, -inner), (inner, -inner), (inner, far)],
        ('right', outer): [(-far, -outer), (-outer, -outer), (-outer, -far)],
    }
    for approach_deg in (0.0, 90.0, 180.0, 270.0):
        yaw = np.radians(approach_deg)
        for (maneuver, offset), waypoints in canonical.items():
            radius = {
                'straight': 0.0,
                'left': stop_line + inner,
                'right': stop_line - outer
            }[maneuver]
            path = Path.from_waypoints(_rot(waypoints, yaw), corner_radius=radius)
            routes.append(
                Route(path,
                      'vehicle',
                      maneuver,
                      stop_s=far - stop_line,
                      focus_s=far,
                      approach_deg=approach_deg))
        # Bicycles ride at the right edge of the outer lane: straight or right turn.
        bike_off = half - 0.8
        for maneuver, wps, radius in (('straight', [(-far, -bike_off), (far, -bike_off)], 0.0),
                                      ('right', [(-far, -bike_off), (-bike_off, -bike_off),
                                                 (-bike_off, -far)], stop_line - bike_off)):
            routes.append(
                Route(Path.from_waypoints(_rot(wps, yaw), corner_radius=radius),
                      'bicycle',
                      maneuver,
                      stop_s=far - stop_line,
                      focus_s=far,
                      approach_deg=approach_deg))
    # Pedestrians: along a sidewalk towards the corner, then across the crosswalk or round the
    # corner along the next sidewalk.
    walk = half + 1.5  # sidewalk centre line
    cross = half + 2.0  # crosswalk centre line
    ped_far = 60.0
    for approach_deg in (0.0, 90.0, 180.0, 270.0):
        yaw = np.radians(approach_deg)
        for side in (-1.0, 1.0):
            straight = [(-ped_far, side * walk), (-cross, side * walk), (-cross, -side * walk),
                        (-ped_far, -side * walk)]
            routes.append(
                Route(Path.from_waypoints(_rot(straight, yaw), corner_radius=1.0),
                      'pedestrian',
                      'cross',
                      stop_s=ped_far - cross - 0.5,
                      focus_s=ped_far))
            along = [(-ped_far, side * walk), (-walk, side * walk), (-walk, side * ped_far)]
            routes.append(
                Route(Path.from_waypoints(_rot(along, yaw), corner_radius=1.5),
                      'pedestrian',
                      'walk',
                      focus_s=ped_far))
    # Buildings on the four corners: blocks facing the x road and blocks facing the y road.
    buildings = []
    for sx in (-1.0, 1.0):
        for sy in (-1.0, 1.0):
            setback = rng.uniform(half + 4.0, half + 6.5)
            first_depth = rng.uniform(12.0, 22.0)
            for cu, cv, lu, lv, h in _frontage_blocks(rng,
                                                      setback,
                                                      BUILDING_REACH,
                                                      setback,
                                                      depth_range=(first_depth, first_depth + 6.0)):
                buildings.append(_box(sx * cu, sy * cv, lu, lv, h))
            for cu, cv, lu, lv, h in _frontage_blocks(rng,
                                                      setback + first_depth + rng.uniform(2.0, 6.0),
                                                      BUILDING_REACH, setback):
                buildings.append(_box(sx * cv, sy * cu, lv, lu, h))
    corner = half + 2.5  # on the corner of the sidewalks
    if rng.random() < 0.5:
        corners = [(corner, -corner), (-corner, corner)]
    else:
        corners = [(-corner, -corner), (corner, corner)]
    mounts = [_infra_pose(rng, x, y) for x, y in corners]
    return SceneLayout('intersection',
                       np.asarray(buildings, float),
                       routes,
                       infrastructure_mounts=np.round(np.asarray(mounts, float), 6))


def make_corridor_layout(rng: np.random.Generator) -> SceneLayout:
    """Straight urban corridor along world x with kerb-side parking, sidewalks, buildings and a
    crosswalk.

    Parked vehicles and trucks in the near lane hide the sidewalk and the far lanes from a vehicle
    in traffic; pole-mounted infrastructure LiDARs see over them.
    """
    half = ROAD_HALF_WIDTH
    far = ROUTE_HALF_LENGTH
    parking = half + 1.25  # parking strip centre line
    walk = half + 4.0  # sidewalk centre line
    inner, outer = LANE_WIDTH / 2, LANE_WIDTH * 1.5
    crosswalk_x = rng.uniform(-15.0, 15.0)
    routes: List[Route] = []
    for direction in (1.0, -1.0):  # +x on y < 0, -x on y > 0
        yaw = 0.0 if direction > 0 else np.pi
        stop_s = far + crosswalk_x * direction - 3.0
        for offset in (inner, outer):
            path = Path.from_waypoints(_rot([(-far, -offset), (far, -offset)], yaw))
            routes.append(Route(path, 'vehicle', 'straight', stop_s=stop_s, focus_s=far))
        for src, dst in ((outer, inner), (inner, outer)):
            x0 = rng.uniform(-40.0, 10.0)
            wps = [(-far, -src), (x0, -src), (x0 + 28.0, -dst), (far, -dst)]
            path = Path.from_waypoints(_rot(wps, yaw), corner_radius=12.0)
            routes.append(Route(path, 'vehicle', 'lane_change', stop_s=None, focus_s=far))
        bike = Path.from_waypoints(_rot([(-far, -(half - 0.8)), (far, -(half - 0.8))], yaw))
        routes.append(Route(bike, 'bicycle', 'straight', stop_s=stop_s, focus_s=far))
    ped_far = 70.0
    for side in (-1.0, 1.0):
        for direction in (1.0, -1.0):
            wps = [(-direction * ped_far, side * walk), (direction * ped_far, side * walk)]
            routes.append(Route(Path.from_waypoints(wps), 'pedestrian', 'walk', focus_s=ped_far))
        start_x = crosswalk_x + rng.uniform(-25.0, 25.0)
        wps = [(start_x, side * walk), (crosswalk_x, side * walk), (crosswalk_x, -side * walk),
               (crosswalk_x + rng.uniform(-25.0, 25.0), -side * walk)]
        path = Path.from_waypoints(wps, corner_radius=1.0)
        routes.append(
            Route(path,
                  'pedestrian',
                  'cross',
                  stop_s=abs(start_x - crosswalk_x) - 0.5,
                  focus_s=abs(start_x - crosswalk_x)))
    buildings = []
    for side in (-1.0, 1.0):
        setback = rng.uniform(half + 6.0, half + 8.0)
        for cu, cv, lu, lv, h in _frontage_blocks(rng, -BUILDING_REACH, BUILDING_REACH, setback):
            buildings.append(_box(cu, side * cv, lu, lv, h))
    spots = []
    for side in (-1.0, 1.0):
        x = -70.0 + rng.uniform(0.0, 4.0)
        while x < 70.0:
            if abs(x - crosswalk_x) > 5.0:
                spots.append([x, side * parking, 0.0 if side < 0 else np.pi])
            x += rng.uniform(6.5, 9.0)
    mount_x = (rng.uniform(-30.0, -8.0), rng.uniform(8.0, 30.0))
    mount_y = half + 2.5
    side = rng.choice([-1.0, 1.0])
    mounts = [
        _infra_pose(rng, mount_x[0], side * mount_y, look_at=(mount_x[0] + 10.0, 0.0)),
        _infra_pose(rng, mount_x[1], -side * mount_y, look_at=(mount_x[1] - 10.0, 0.0))
    ]
    return SceneLayout('corridor',
                       np.asarray(buildings, float),
                       routes,
                       parking_spots=np.asarray(spots, float),
                       infrastructure_mounts=np.round(np.asarray(mounts, float), 6))


def make_layout(kind: str, rng: np.random.Generator) -> SceneLayout:
    """Build a layout of ``kind`` ('intersection' or 'corridor')."""
    if kind == 'intersection':
        return make_intersection_layout(rng)
    if kind == 'corridor':
        return make_corridor_layout(rng)
    raise ValueError(f'unknown layout kind {kind!r}; expected intersection or corridor')
