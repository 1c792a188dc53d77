"""Scenario orchestration and dataset writing (see the package docstring for the public API).

A :class:`SyntheticScenario` is fully determined by ``(seed, index, preset, num_frames)``: its
layout, its objects' tracks and — through per-(frame, agent) random streams — every LiDAR sweep. So
the ground truth a test asks for (:meth:`SyntheticScenario.frame_ground_truth`) is exactly what
:func:`generate_dataset` wrote.
"""
import datetime
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.utils import ProgressBar

from ...utils.geometry import pose_to_matrix
from ..metadata import agent_type_name, is_vehicle
from .kinematics import ObjectTrack
from .lidar_simulator import STATIC_LABEL, LidarScan, LidarSpec, simulate_scan
from .scene_layout import SceneLayout, make_layout
from .traffic import build_traffic
from .writer import write_lidar, write_yaml

__all__ = [
    'GeneratorPreset', 'PRESETS', 'SyntheticScenario', 'FrameGroundTruth', 'generate_dataset',
    'load_scenario', 'scenario_name', 'split_counts', 'VEHICLE_AGENT_IDS',
    'INFRASTRUCTURE_AGENT_IDS', 'VEHICLE_LIDAR_HEIGHT', 'MIN_VISIBLE_POINTS'
]

VEHICLE_AGENT_IDS = (1, 2)
INFRASTRUCTURE_AGENT_IDS = (-1, -2)
VEHICLE_LIDAR_HEIGHT = 1.8  # m above ground
MIN_VISIBLE_POINTS = 3  # an object "is seen" by an agent with at least this many returns
SPLITS = ('train', 'val', 'test')
_SCAN_STREAM = 7  # tag separating the per-scan random streams from the scenario stream


@dataclass(frozen=True)
class GeneratorPreset:
    """Default scenario count / length, sensors, traffic density and annotation range (m) of a
    preset."""

    name: str
    num_scenarios: int
    frames_per_scenario: int
    vehicle_lidar: LidarSpec
    infrastructure_lidar: LidarSpec
    traffic_density: float = 1.0
    annotation_range: float = 70.0


_VEHICLE_LIDAR = LidarSpec(num_beams=32,
                           num_columns=896,
                           elevation_min_deg=-25.0,
                           elevation_max_deg=15.0,
                           max_range=100.0)
_INFRA_LIDAR = LidarSpec(num_beams=32,
                         num_columns=896,
                         elevation_min_deg=-32.0,
                         elevation_max_deg=8.0,
                         max_range=120.0,
                         azimuth_offset_deg=0.17)
PRESETS: Dict[str, GeneratorPreset] = {
    # Unit tests: the smallest (1 scenario × 8 frames, coarse sweeps).
    'tiny':
    GeneratorPreset('tiny',
                    1,
                    8,
                    replace(_VEHICLE_LIDAR, num_beams=16, num_columns=512),
                    replace(_INFRA_LIDAR, num_beams=16, num_columns=512),
                    traffic_density=0.8),
    # Quick start: small enough to generate and train on a few CPU cores.
    'demo':
    GeneratorPreset('demo', 7, 40, _VEHICLE_LIDAR, _INFRA_LIDAR, traffic_density=1.0),
    # Larger runs: more scenarios, longer, denser sweeps and traffic.
    'benchmark':
    GeneratorPreset('benchmark',
                    20,
                    80,
                    replace(_VEHICLE_LIDAR, num_columns=1024),
                    replace(_INFRA_LIDAR, num_columns=1024),
                    traffic_density=1.3),
}


@dataclass
class FrameGroundTruth:
    """What the generator knows about one frame (world frame, metres, radians unless stated).

    Attributes:
        frame_idx: 0-based frame index (file name ``f'{frame_idx + 1:06d}'``).
        boxes_world: {obj_id: (7,) ``[cx, cy, cz, l, w, h, yaw]``} every object that exists at this
            frame.
        obj_types: {obj_id: obj_type}.
        agent_poses: {agent_id: (6,) ``[x, y, z, roll, yaw, pitch]`` (m, deg)} LiDAR poses as
            written to yaml.
        annotated: {agent_id: sorted obj ids listed in that agent's yaml}.
        scans: {agent_id: LidarScan} points (sensor frame) exactly as written, and per-point labels
            (object id, ``GROUND_LABEL`` = -1 or ``STATIC_LABEL`` = -2).
        point_counts: {agent_id: {obj_id: number of returns on that object}} (objects with 0 returns
            omitted).
    """

    frame_idx: int
    boxes_world: Dict[int, np.ndarray]
    obj_types: Dict[int, str]
    agent_poses: Dict[int, np.ndarray]
    annotated: Dict[int, List[int]]
    scans: Dict[int, LidarScan]
    point_counts: Dict[int, Dict[int, int]]

    def seen_by(self, obj_id: int, min_points: int = MIN_VISIBLE_POINTS) -> List[int]:
        """Agent ids with at least ``min_points`` returns on ``obj_id``."""
        return sorted(a for a, counts in self.point_counts.items()
                      if counts.get(obj_id, 0) >= min_points)


def scenario_name(index: int, seed: int) -> str:
    """Real-looking scenario folder name ``'YYYY-MM-DD-HH-MM-SS_<index>_0'`` (unique per index)."""
    start = datetime.datetime(2023, 3, 17, 16, 12, 12) + datetime.timedelta(minutes=int(seed) % 997)
    stamp = start + datetime.timedelta(minutes=9 * index, seconds=(13 * index) % 60)
    return f'{stamp:%Y-%m-%d-%H-%M-%S}_{index}_0'


def _resolve_preset(preset: Union[str, GeneratorPreset]) -> GeneratorPreset:
    if isinstance(preset, GeneratorPreset):
        return preset
    if preset not in PRESETS:
        raise ValueError(f'unknown preset {preset!r}; choose one of {sorted(PRESETS)}')
    return PRESETS[preset]


class SyntheticScenario:
    """One scenario: layout, object tracks, four agents (1, 2 drive; -1, -2 are fixed), sweeps.

    Args:
        seed: dataset seed.
        index: scenario index in the dataset (even = intersection, odd = corridor).
        num_frames: frames at 10 Hz.
        preset: a :data:`PRESETS` name or a :class:`GeneratorPreset`.
        kind: override the layout kind ('intersection' or 'corridor').
    """

    def __init__(self,
                 seed: int,
                 index: int,
                 num_frames: int,
                 preset: Union[str, GeneratorPreset] = 'demo',
                 kind: Optional[str] = None) -> None:
        self.seed, self.index, self.num_frames = int(seed), int(index), int(num_frames)
        self.preset = _resolve_preset(preset)
        self.kind = kind or ('intersection' if index % 2 == 0 else 'corridor')
        self.name = scenario_name(index, seed)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.index]))
        self.layout: SceneLayout = make_layout(self.kind, rng)
        self.tracks: List[ObjectTrack] = build_traffic(self.layout, rng, self.num_frames,
                                                       self.preset.traffic_density,
                                                       VEHICLE_AGENT_IDS)
        self.agent_ids: Tuple[int, ...] = VEHICLE_AGENT_IDS + INFRASTRUCTURE_AGENT_IDS
        self._track_of_agent = {t.agent_id: t for t in self.tracks if t.agent_id is not None}
        mount_tilt = {
            a: np.round(rng.uniform(-0.3, 0.3, 2), 4)
            for a in VEHICLE_AGENT_IDS
        }  # roll, pitch
        self._poses: Dict[int, np.ndarray] = {}
        for agent_id in VEHICLE_AGENT_IDS:
            track = self._track_of_agent[agent_id]
            roll, pitch = mount_tilt[agent_id]
            self._poses[agent_id] = np.round(
                np.column_stack([
                    track.xy,
                    np.full(num_frames, VEHICLE_LIDAR_HEIGHT),
                    np.full(num_frames, roll),
                    _wrap_degrees(np.degrees(track.yaw)),
                    np.full(num_frames, pitch)
                ]), 6)
        for agent_id, mount in zip(INFRASTRUCTURE_AGENT_IDS, self.layout.infrastructure_mounts):
            self._poses[agent_id] = np.tile(np.round(mount, 6), (num_frames, 1))
        self._boxes = {t.obj_id: t.boxes_world() for t in self.tracks}

    # ------------------------------------------------------------------ queries
    def agent_type(self, agent_id: int) -> str:
        return agent_type_name(agent_id)

    def lidar_spec(self, agent_id: int) -> LidarSpec:
        return self.preset.vehicle_lidar if is_vehicle(agent_id) else self.preset.infrastructure_lidar

    def agent_pose(self, agent_id: int, frame_idx: int) -> np.ndarray:
        """(6,) LiDAR pose ``[x, y, z, roll, yaw, pitch]`` (m, deg) in the world at
        ``frame_idx``."""
        return self._poses[agent_id][frame_idx].copy()

    def objects_at(self, frame_idx: int) -> List[ObjectTrack]:
        """Tracks that exist at ``frame_idx``."""
        return [t for t in self.tracks if t.valid[frame_idx]]

    def annotated_ids(self, agent_id: int, frame_idx: int) -> List[int]:
        """Ids of the objects listed in ``agent_id``'s yaml: within the annotation range (BEV, m) of
        its LiDAR, never the agent's own vehicle."""
        pose = self._poses[agent_id][frame_idx]
        ids = []
        for track in self.objects_at(frame_idx):
            if track.agent_id == agent_id:
                continue
            if np.hypot(*(track.xy[frame_idx] - pose[:2])) <= self.preset.annotation_range:
                ids.append(track.obj_id)
        return sorted(ids)

    def scan(self, agent_id: int, frame_idx: int) -> LidarScan:
        """The sweep of ``agent_id`` at ``frame_idx``: points in that agent's LiDAR frame plus
        labels."""
        tracks = [t for t in self.objects_at(frame_idx)
                  if t.agent_id != agent_id]  # own body never seen
        boxes = [self._boxes[t.obj_id][frame_idx] for t in tracks]
        labels = [t.obj_id for t in tracks]
        refl = [t.reflectivity for t in tracks]
        buildings = self.layout.buildings
        all_boxes = np.concatenate(
            [np.asarray(boxes, float).reshape(-1, 7),
             buildings.reshape(-1, 7)])
        all_labels = np.array(labels + [STATIC_LABEL] * len(buildings), dtype=np.int64)
        building_refl = np.random.default_rng(np.random.SeedSequence([self.seed, self.index,
                                                                      3])).uniform(
                                                                          0.25, 0.5, len(buildings))
        all_refl = np.concatenate([np.asarray(refl, float), building_refl])
        slot = self.agent_ids.index(agent_id)
        rng = np.random.default_rng(
            np.random.SeedSequence([self.seed, self.index, _SCAN_STREAM, frame_idx, slot]))
        return simulate_scan(pose_to_matrix(self._poses[agent_id][frame_idx]),
                             self.lidar_spec(agent_id), all_boxes, all_labels, all_refl, rng)

    def agent_yaml(self, agent_id: int, frame_idx: int) -> dict:
        """The per-frame yaml content of ``agent_id`` (OpenCOOD / V2XPnP keys, plain python
        types)."""
        pose = self._poses[agent_id][frame_idx]
        if is_vehicle(agent_id):
            track = self._track_of_agent[agent_id]
            offset = _rotate2d(track.center_offset, track.yaw[frame_idx])
            location = track.xy[frame_idx] - offset
            true_ego = [location[0], location[1], 0.0, pose[3], pose[4], pose[5]]
            ego_speed = float(track.speed[frame_idx]) * 3.6
        else:
            true_ego, ego_speed = list(pose), 0.0
        by_id = {t.obj_id: t for t in self.tracks}
        vehicles = {}
        for obj_id in self.annotated_ids(agent_id, frame_idx):
            vehicles[int(obj_id)] = _object_entry(by_id[obj_id], frame_idx)
        return {
            'lidar_pose': _floats(pose),
            'true_ego_pos': _floats(true_ego),
            'ego_speed': round(ego_speed, 4),
            'vehicles': vehicles,
        }

    def frame_ground_truth(self, frame_idx: int) -> FrameGroundTruth:
        """Everything the generator knows about ``frame_idx`` (see :class:`FrameGroundTruth`)."""
        scans, counts = {}, {}
        for agent_id in self.agent_ids:
            scan = self.scan(agent_id, frame_idx)
            scans[agent_id] = scan
            counts[agent_id] = _object_point_counts(scan.labels)
        objects = self.objects_at(frame_idx)
        return FrameGroundTruth(
            frame_idx=frame_idx,
            boxes_world={t.obj_id: self._boxes[t.obj_id][frame_idx].copy()
                         for t in objects},
            obj_types={t.obj_id: t.obj_type
                       for t in objects},
            agent_poses={a: self.agent_pose(a, frame_idx)
                         for a in self.agent_ids},
            annotated={a: self.annotated_ids(a, frame_idx)
                       for a in self.agent_ids},
            scans=scans,
            point_counts=counts)

    # ------------------------------------------------------------------ writing
    def write(self,
              split_dir: str,
              lidar_format: str = 'pcd',
              pcd_binary: bool = True,
              write_extras: bool = False,
              on_frame: Optional[Callable[[], None]] = None) -> dict:
        """Write ``<split_dir>/<name>/<agent_id>/<frame>.{pcd|bin,yaml}``; returns point and
        visibility stats. ``on_frame`` is called after each frame (all agents) is written."""
        root = os.path.join(split_dir, self.name)
        points_per_cloud: List[int] = []
        visibility = {
            'ego_object_frames': 0,
            'seen_by_ego': 0,
            'seen_only_by_cooperators': 0,
            'unseen': 0
        }
        for agent_id in self.agent_ids:
            os.makedirs(os.path.join(root, str(agent_id)), exist_ok=True)
        for frame_idx in range(self.num_frames):
            frame = f'{frame_idx + 1:06d}'
            counts = {}
            for agent_id in self.agent_ids:
                scan = self.scan(agent_id, frame_idx)
                stem = os.path.join(root, str(agent_id), frame)
                write_lidar(stem, scan.points, lidar_format, pcd_binary)
                write_yaml(stem + '.yaml', self.agent_yaml(agent_id, frame_idx))
                points_per_cloud.append(int(scan.points.shape[0]))
                counts[agent_id] = _object_point_counts(scan.labels)
            for ego in VEHICLE_AGENT_IDS:
                for obj_id in self.annotated_ids(ego, frame_idx):
                    visibility['ego_object_frames'] += 1
                    if counts[ego].get(obj_id, 0) >= MIN_VISIBLE_POINTS:
                        visibility['seen_by_ego'] += 1
                    elif any(counts[a].get(obj_id, 0) >= MIN_VISIBLE_POINTS for a in self.agent_ids
                             if a != ego):
                        visibility['seen_only_by_cooperators'] += 1
                    else:
                        visibility['unseen'] += 1
            if on_frame is not None:
                on_frame()
        if write_extras:  # non-frame yaml files, as real releases have beside the frames
            for agent_id in self.agent_ids:
                write_yaml(
                    os.path.join(root, str(agent_id), '000001_additional.yaml'), {
                        'agent_id': int(agent_id),
                        'note': 'not a frame file; loaders must skip it',
                        'camera0': {
                            'cords': _floats(self.agent_pose(agent_id, 0)),
                            'intrinsic': [[1000.0, 0.0, 960.0], [0.0, 1000.0, 540.0],
                                          [0.0, 0.0, 1.0]]
                        }
                    })
        return {'points_per_cloud': points_per_cloud, 'visibility': visibility}


def _wrap_degrees(angle):
    """Angle(s) in degrees wrapped to [-180, 180) after rounding to 6 decimals."""
    return (np.round(angle, 6) + 180.0) % 360.0 - 180.0


def _rotate2d(vec: np.ndarray, yaw: float) -> np.ndarray:
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([c * vec[0] - s * vec[1], s * vec[0] + c * vec[1]])


def _floats(values: Sequence[float], ndigits: int = 6) -> List[float]:
    return [round(float(v), ndigits) + 0.0 for v in values]


def _object_entry(track: ObjectTrack, frame_idx: int) -> dict:
    """Yaml entry of one object: ``location`` + ``center`` (world axes) = box centre; angles in
    degrees."""
    l, w, h = (float(v) for v in track.size)
    offset = _rotate2d(track.center_offset, track.yaw[frame_idx])
    centre = track.xy[frame_idx]
    return {
        'obj_type': track.obj_type,
        'location': _floats([centre[0] - offset[0], centre[1] - offset[1], 0.0]),
        'center': _floats([offset[0], offset[1], h / 2.0]),
        'angle': _floats([0.0, _wrap_degrees(np.degrees(track.yaw[frame_idx])), 0.0]),
        'extent': _floats([l / 2.0, w / 2.0, h / 2.0]),
        'speed': round(float(track.speed[frame_idx]) * 3.6, 4),
    }


def _object_point_counts(labels: np.ndarray) -> Dict[int, int]:
    ids, counts = np.unique(labels[labels > 0], return_counts=True)
    return {int(i): int(c) for i, c in zip(ids, counts)}


def split_counts(num_scenarios: int, fractions: Sequence[float]) -> List[int]:
    """Scenarios per split (train, val, test) by largest remainder; every split with a positive
    fraction gets at least one scenario when there are enough scenarios."""
    frac = np.asarray(fractions, float)
    if frac.shape != (3, ) or (frac < 0).any() or frac.sum() <= 0:
        raise ValueError(
            'split_fractions must be three non-negative numbers (train, val, test), '
            f'got {fractions}'
        )
    frac = frac / frac.sum()
    raw = frac * num_scenarios
    counts = np.floor(raw).astype(int)
    for i in sorted(range(3), key=lambda k:
                    (-(raw[k] - counts[k]), k))[:num_scenarios - counts.sum()]:
        counts[i] += 1
    positive = [i for i in range(3) if frac[i] > 0]
    if num_scenarios >= len(positive):
        for i in positive:
            if counts[i] == 0:
                counts[int(np.argmax(counts))] -= 1
                counts[i] += 1
    return [int(c) for c in counts]


def load_scenario(seed: int,
                  index: int,
                  preset: Union[str, GeneratorPreset] = 'demo',
                  frames_per_scenario: Optional[int] = None) -> SyntheticScenario:
    """Rebuild scenario ``index`` exactly as :func:`generate_dataset` (same seed/preset/frames)
    wrote it."""
    preset_obj = _resolve_preset(preset)
    frames = frames_per_scenario or preset_obj.frames_per_scenario
    return SyntheticScenario(seed, index, frames, preset_obj)


def generate_dataset(out_dir: str,
                     num_scenarios: Optional[int] = None,
                     seed: int = 0,
                     frames_per_scenario: Optional[int] = None,
                     lidar_format: str = 'pcd',
                     preset: Union[str, GeneratorPreset] = 'demo',
                     split_fractions: Union[Sequence[float], Mapping[str, float]] = (0.6, 0.2, 0.2),
                     pcd_binary: bool = True,
                     verbose: bool = False) -> dict:
    """Write a synthetic V2XPnP-Seq dataset; see the package docstring. Returns a summary dict."""
    start = time.perf_counter()
    preset_obj = _resolve_preset(preset)
    num_scenarios = preset_obj.num_scenarios if num_scenarios is None else int(num_scenarios)
    frames = preset_obj.frames_per_scenario if frames_per_scenario is None else int(
        frames_per_scenario)
    if num_scenarios < 1 or frames < 1:
        raise ValueError('need at least one scenario and one frame')
    if lidar_format not in ('pcd', 'bin'):
        raise ValueError(f"lidar_format must be 'pcd' or 'bin', got {lidar_format!r}")
    if isinstance(split_fractions, Mapping):
        unknown = set(split_fractions) - set(SPLITS)
        if unknown:
            raise ValueError(f'unknown split names {sorted(unknown)}; use {SPLITS}')
        split_fractions = [float(split_fractions.get(s, 0.0)) for s in SPLITS]
    counts = split_counts(num_scenarios, split_fractions)
    split_of = [s for s, n in zip(SPLITS, counts) for _ in range(n)]
    summary = {
        'out_dir': os.path.abspath(out_dir),
        'preset': preset_obj.name,
        'seed': int(seed),
        'lidar_format': lidar_format,
        'frames_per_scenario': frames,
        'num_scenarios': num_scenarios,
        'agent_ids': list(VEHICLE_AGENT_IDS + INFRASTRUCTURE_AGENT_IDS),
        'annotation_range_m': preset_obj.annotation_range,
        'splits': {
            s: []
            for s in SPLITS
        },
        'scenarios': [],
    }
    all_points: List[int] = []
    visibility = {
        'ego_object_frames': 0,
        'seen_by_ego': 0,
        'seen_only_by_cooperators': 0,
        'unseen': 0
    }
    extras_written = set()
    # mmengine's progress bar over every frame of every scenario: count, rate and time left
    progress = ProgressBar(num_scenarios * frames, file=sys.stdout) if verbose else None
    for index in range(num_scenarios):
        split = split_of[index]
        scenario = SyntheticScenario(seed, index, frames, preset_obj)
        stats = scenario.write(os.path.join(out_dir, split),
                               lidar_format,
                               pcd_binary,
                               write_extras=split not in extras_written,
                               on_frame=None if progress is None else progress.update)
        extras_written.add(split)
        all_points.extend(stats['points_per_cloud'])
        for key, value in stats['visibility'].items():
            visibility[key] += value
        summary['splits'][split].append(scenario.name)
        summary['scenarios'].append({
            'name': scenario.name,
            'split': split,
            'index': index,
            'kind': scenario.kind,
            'num_frames': frames,
            'num_objects': len(scenario.tracks),
            'obj_types': sorted({t.obj_type
                                 for t in scenario.tracks})
        })
    if progress is not None:
        sys.stdout.write('\n')
    points = np.asarray(all_points)
    summary['num_clouds'] = int(points.size)
    summary['points_per_cloud'] = {
        'mean': float(points.mean()),
        'min': int(points.min()),
        'max': int(points.max())
    }
    total = max(visibility['ego_object_frames'], 1)
    visibility['fraction_seen_only_by_cooperators'] = visibility['seen_only_by_cooperators'] / total
    summary['visibility'] = visibility
    with open(os.path.join(out_dir, 'synthetic_summary.json'),
              'w') as f:  # no paths or timings: deterministic
        json.dump({k: v for k, v in summary.items() if k != 'out_dir'}, f, indent=1, sort_keys=True)
    summary['seconds'] = time.perf_counter() - start
    return summary
