"""Synthetic V2X scenes written in the real V2XPnP-Seq / OpenCOOD on-disk format.

The real dataset cannot be downloaded here, so tests and the quick start use this generator; the
dataset loaders read its output and real data through the same code path.

Public API (stable; other tests rely on it)::

    generate_dataset(out_dir, num_scenarios=None, seed=0, frames_per_scenario=None,
                     lidar_format='pcd', preset='demo', split_fractions=(0.6, 0.2, 0.2),
                     pcd_binary=True, verbose=False) -> dict

- ``out_dir``: written as ``<out_dir>/{train,val,test}/<scenario>/<agent_id>/<frame>.{pcd|bin}`` and
  ``<frame>.yaml`` (frames ``'000001'``, ``'000002'``, … at 10 Hz; scenario names like
  ``'2023-03-17-16-12-12_3_0'``), plus ``<out_dir>/synthetic_summary.json``. In the first scenario
  of every split each agent folder also holds a non-frame ``000001_additional.yaml`` that loaders
  must skip.
- ``num_scenarios`` / ``frames_per_scenario``: default to the preset's. Scenario ``i`` is an
  intersection for even ``i`` and a corridor for odd ``i``; scenarios are assigned to splits in
  order (train first, then val, then test) with counts from :func:`split_counts` (every split with a
  positive fraction gets at least one scenario when ``num_scenarios >= 3``). ``split_fractions`` may
  be a (train, val, test) triple or a dict.
- ``seed``: the same seed (and arguments) gives byte-identical files.
- ``lidar_format``: ``'pcd'`` (PCD v0.7, FIELDS x y z intensity, float32; binary unless
  ``pcd_binary=False``) or ``'bin'`` (float32 N×4, V2X-Real).
- ``preset``: ``'tiny'`` (unit tests: 16×512-ray sweeps, 1 scenario × 8 frames), ``'demo'`` (the
  quick start: 7 scenarios × 40 frames, 32×896 rays) or ``'benchmark'`` (20 × 80 frames, 32×1024
  rays, denser traffic; gigabytes of files), or a :class:`GeneratorPreset`.
- ``verbose``: show mmengine's progress bar on stdout (frames written of all, rate, time left).
- Returns a summary dict: ``out_dir, preset, seed, lidar_format, frames_per_scenario, num_scenarios,
  agent_ids, splits {split: [scenario names]}, scenarios [{name, split, index, kind, num_frames,
  num_objects, obj_types}], num_clouds, points_per_cloud {mean, min, max}, visibility
  {ego_object_frames, seen_by_ego, seen_only_by_cooperators, unseen,
  fraction_seen_only_by_cooperators}, seconds``.

Every scenario has four agents: connected vehicles ``1`` and ``2`` (they drive; LiDAR 1.8 m above
ground) and infrastructure LiDARs ``-1`` and ``-2`` (fixed, 4.5–6 m high, small non-zero roll and
pitch). Per-frame yaml: ``lidar_pose`` and ``true_ego_pos`` ``[x, y, z, roll, yaw, pitch]`` (world,
m, degrees), ``ego_speed`` (km/h), ``vehicles`` {obj_id: {obj_type, location, center, angle [roll,
yaw, pitch] deg, extent half sizes, speed km/h}} listing the objects within 70 m of that agent
(never the agent itself; the other connected vehicle appears as a ``Car`` whose object id equals its
agent id). Points are stored in the agent's LiDAR frame at that frame.

Ground truth for tests: ``load_scenario(seed, index, preset, frames_per_scenario)`` rebuilds a
written scenario; ``SyntheticScenario.frame_ground_truth(frame_idx)`` gives world boxes, the exact
sweeps with per-point object labels and per-agent point counts per object.
"""
from .generator import (INFRASTRUCTURE_AGENT_IDS, MIN_VISIBLE_POINTS, PRESETS, VEHICLE_AGENT_IDS,
                        VEHICLE_LIDAR_HEIGHT, FrameGroundTruth, GeneratorPreset, SyntheticScenario,
                        generate_dataset, load_scenario, scenario_name, split_counts)
from .kinematics import FRAME_DT, MotionPlan, ObjectTrack, simulate_motion
from .lidar_simulator import GROUND_LABEL, STATIC_LABEL, LidarScan, LidarSpec, simulate_scan
from .paths import Path
from .scene_layout import (Route, SceneLayout, make_corridor_layout, make_intersection_layout,
                           make_layout)
from .traffic import OBJECT_CLASSES, boxes_overlap_bev, build_traffic
from .writer import write_bin, write_lidar, write_pcd, write_yaml

__all__ = [
    'generate_dataset',
    'load_scenario',
    'SyntheticScenario',
    'FrameGroundTruth',
    'GeneratorPreset',
    'PRESETS',
    'scenario_name',
    'split_counts',
    'VEHICLE_AGENT_IDS',
    'INFRASTRUCTURE_AGENT_IDS',
    'VEHICLE_LIDAR_HEIGHT',
    'MIN_VISIBLE_POINTS',
    'FRAME_DT',
    'MotionPlan',
    'ObjectTrack',
    'simulate_motion',
    'GROUND_LABEL',
    'STATIC_LABEL',
    'LidarScan',
    'LidarSpec',
    'simulate_scan',
    'Path',
    'Route',
    'SceneLayout',
    'make_corridor_layout',
    'make_intersection_layout',
    'make_layout',
    'OBJECT_CLASSES',
    'boxes_overlap_bev',
    'build_traffic',
    'write_bin',
    'write_lidar',
    'write_pcd',
    'write_yaml',
]
