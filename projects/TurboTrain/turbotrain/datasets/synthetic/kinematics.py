"""Object motion along a path: a longitudinal speed controller and the resulting per-frame track.

Motion is simulated at ``substeps`` per 0.1 s frame with bounded acceleration. The controller
follows a piecewise-constant desired speed (so objects accelerate and slow down), slows before
curves so that the lateral acceleration stays below ``lateral_accel`` (turning vehicles brake, then
speed up again) and can hold at a stop point until a release time (stop-and-go at stop lines and
crosswalks). All positions are world xy (m), headings are radians about world +z, speeds m/s.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from .paths import Path

__all__ = ['MotionPlan', 'ObjectTrack', 'simulate_motion', 'FRAME_DT']

FRAME_DT = 0.1  # s, 10 Hz


@dataclass
class MotionPlan:
    """How an object moves along its path.

    Attributes:
        s0: arclength (m) at frame 0; negative means the object enters the path later.
        v0: speed (m/s) at frame 0.
        desired_speeds: ``[(t_start_s, v_mps), ...]`` piecewise-constant desired speed, sorted by
            time.
        stop_s: arclength (m) where the object must stand still until ``release_time``; ``None`` =
            no stop.
        release_time: time (s) after which the stop no longer applies; ``None`` = never within the
            scenario.
        max_accel / max_decel: longitudinal limits (m/s², positive numbers).
        lateral_accel: curve speed limit, v² · |curvature| <= lateral_accel (m/s²).
    """

    s0: float
    v0: float
    desired_speeds: List[Tuple[float, float]] = field(default_factory=list)
    stop_s: Optional[float] = None
    release_time: Optional[float] = None
    max_accel: float = 2.0
    max_decel: float = 4.0
    lateral_accel: float = 2.5


def _desired_speed(plan: MotionPlan, time_s: float) -> float:
    speed = plan.desired_speeds[0][1] if plan.desired_speeds else plan.v0
    for t_start, v in plan.desired_speeds:
        if time_s >= t_start:
            speed = v
    return speed


def _curve_speed_limit(path: Path, plan: MotionPlan) -> np.ndarray:
    """Allowed speed at each path vertex so that braking (comfortably) before every curve is
    possible."""
    curvature = np.abs(path.curvature_at_vertices)
    limit = np.sqrt(plan.lateral_accel / np.maximum(curvature, 1e-6))
    comfort = 0.6 * plan.max_decel
    ds = np.diff(path.s)
    for i in range(len(limit) - 2, -1, -1):  # backward pass: reachable by braking
        limit[i] = min(limit[i], np.sqrt(limit[i + 1]**2 + 2.0 * comfort * ds[i]))
    return limit


def simulate_motion(path: Path,
                    plan: MotionPlan,
                    num_frames: int,
                    substeps: int = 4) -> Tuple[np.ndarray, np.ndarray]:
    """Arclength ``s`` (m) and speed ``v`` (m/s) at every frame, each (num_frames,)."""
    limit = _curve_speed_limit(path, plan)
    comfort = 0.6 * plan.max_decel
    dt = FRAME_DT / substeps
    s, v = float(plan.s0), float(plan.v0)
    out_s = np.empty(num_frames)
    out_v = np.empty(num_frames)
    for frame in range(num_frames):
        out_s[frame], out_v[frame] = s, v
        for sub in range(substeps):
            time_s = (frame * substeps + sub) * dt
            target = _desired_speed(plan, time_s)
            target = min(target, float(np.interp(s, path.s, limit)))
            stop_active = plan.stop_s is not None and (plan.release_time is None
                                                       or time_s < plan.release_time)
            if stop_active and s <= plan.stop_s:
                gap = plan.stop_s - s
                target = min(target, np.sqrt(2.0 * comfort * gap) if gap > 0.05 else 0.0)
            accel = np.clip((target - v) / dt, -plan.max_decel * 1.5, plan.max_accel)
            v = max(0.0, v + accel * dt)
            s = s + v * dt
    return out_s, out_v


@dataclass
class ObjectTrack:
    """One object over a scenario (world frame).

    Attributes:
        obj_id: stable integer id (shared by every agent's annotation).
        obj_type: V2X-Real class string ('Car', 'Van', 'Truck', 'Bus', 'Pedestrian',
            'BicycleRider').
        size: (3,) full length, width, height (m).
        center_offset: (2,) box-centre offset from the object's ``location`` in the object's own
            frame (m);
            written to yaml rotated into world axes as ``center``.
        xy: (T, 2) box-centre world xy (m). yaw: (T,) heading (rad). speed: (T,) m/s.
        valid: (T,) bool, True where the object exists (on its path) at that frame.
        reflectivity: LiDAR reflectivity in [0, 1].
        agent_id: the connected-vehicle agent id carried by this object, else ``None``.
    """

    obj_id: int
    obj_type: str
    size: np.ndarray
    center_offset: np.ndarray
    xy: np.ndarray
    yaw: np.ndarray
    speed: np.ndarray
    valid: np.ndarray
    reflectivity: float = 0.5
    agent_id: Optional[int] = None

    @classmethod
    def from_path(cls,
                  obj_id: int,
                  obj_type: str,
                  size: np.ndarray,
                  path: Path,
                  plan: MotionPlan,
                  num_frames: int,
                  center_offset: np.ndarray = np.zeros(2),
                  reflectivity: float = 0.5,
                  agent_id: Optional[int] = None) -> 'ObjectTrack':
        """Simulate ``plan`` along ``path``; the object exists where 0 <= s <= path length."""
        s, v = simulate_motion(path, plan, num_frames)
        valid = (s >= 0.0) & (s <= path.length)
        xy = np.round(path.position(s), 6)
        yaw = np.round(np.arctan2(np.sin(path.heading(s)), np.cos(path.heading(s))), 7)
        return cls(obj_id=obj_id,
                   obj_type=obj_type,
                   size=np.round(np.asarray(size, float), 4),
                   center_offset=np.round(np.asarray(center_offset, float), 4),
                   xy=xy,
                   yaw=yaw,
                   speed=np.round(v, 4),
                   valid=valid,
                   reflectivity=reflectivity,
                   agent_id=agent_id)

    @property
    def num_frames(self) -> int:
        return len(self.valid)

    def box_world(self, frame: int) -> np.ndarray:
        """(7,) world box ``[cx, cy, cz, l, w, h, yaw]`` at ``frame``: gravity centre, full sizes,
        yaw rad."""
        l, w, h = self.size
        return np.array([self.xy[frame, 0], self.xy[frame, 1], h / 2.0, l, w, h, self.yaw[frame]])

    def boxes_world(self) -> np.ndarray:
        """(T, 7) world boxes for every frame (rows where ``valid`` is False are meaningless)."""
        num = self.num_frames
        l, w, h = self.size
        return np.column_stack([
            self.xy,
            np.full(num, h / 2.0),
            np.full(num, l),
            np.full(num, w),
            np.full(num, h), self.yaw
        ])
