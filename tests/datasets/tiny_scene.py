"""A hand-made tiny V2XPnP scene written by the tests themselves (not by the synthetic generator).

World layout (metres, degrees), every value chosen so the expected ego-frame numbers are easy to compute by hand:

- agents (LiDAR poses, roll = pitch = 0, constant over time):
    vehicle  1 at (10,   0, 1.8) yaw   0
    vehicle  2 at (30,  10, 1.8) yaw  90
    infra   -1 at (20, -10, 5.0) yaw 180
- object 100 'Car' moves +1 m/frame along +x: location (14 + k, 5, 0) at frame k (k = 1..5),
  center (0, 0, 0.75), extent (2, 1, 0.75) → gravity centre (14 + k, 5, 0.75), l×w×h = 4×2×1.5, yaw 0.
  Annotated by every agent.
- object 200 'Pedestrian' standing at location (25, 0, 0), center (0, 0, 0.9), extent (0.3, 0.3, 0.9),
  yaw 30°; annotated by the infrastructure only.
- every agent sees 20 points on object 100 (a 5×4 grid on the box's +z half, world coordinates → agent frame)
  plus 8 ground points around itself (ground z = 0 in world).
"""
import os
import os.path as osp
import struct
from typing import Dict, Iterable, List, Optional

import numpy as np

AGENT_POSES = {1: [10.0, 0.0, 1.8, 0.0, 0.0, 0.0], 2: [30.0, 10.0, 1.8, 0.0, 90.0, 0.0],
               -1: [20.0, -10.0, 5.0, 0.0, 180.0, 0.0]}
CAR_ID, PED_ID = 100, 200
FRAMES = [1, 2, 3, 4, 5]


def car_centre(frame: int) -> np.ndarray:
    """World gravity centre of object 100 at ``frame``."""
    return np.array([14.0 + frame, 5.0, 0.75])


def yaw_matrix(pose) -> np.ndarray:
    x, y, z, _, yaw, _ = pose
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    matrix = np.eye(4)
    matrix[:2, :2] = [[c, -s], [s, c]]
    matrix[:3, 3] = [x, y, z]
    return matrix


def car_surface_points(frame: int) -> np.ndarray:
    """(20, 3) world points strictly inside object 100's box at ``frame``."""
    centre = car_centre(frame)
    xs = np.linspace(-1.6, 1.6, 5)
    ys = np.linspace(-0.7, 0.7, 4)
    grid = np.array([[centre[0] + x, centre[1] + y, centre[2] + 0.5] for x in xs for y in ys])
    return grid


def agent_points(agent_id: int, frame: int, intensity: float = 0.5) -> np.ndarray:
    """(28, 4) float32 points in agent ``agent_id``'s LiDAR frame at ``frame`` (car surface + ground)."""
    world_to_agent = np.linalg.inv(yaw_matrix(AGENT_POSES[agent_id]))
    pose = AGENT_POSES[agent_id]
    ground = np.array([[pose[0] + dx, pose[1] + dy, 0.0] for dx in (-3, 3) for dy in (-3, -1, 1, 3)])
    world = np.concatenate([car_surface_points(frame), ground])
    local = world @ world_to_agent[:3, :3].T + world_to_agent[:3, 3]
    return np.concatenate([local, np.full((len(local), 1), intensity)], axis=1).astype(np.float32)


def frame_yaml(agent_id: int, frame: int, extra_objects: Optional[Dict[int, dict]] = None) -> str:
    """Text of ``<frame>.yaml`` for one agent (hand-written yaml, OpenCOOD layout)."""
    pose = AGENT_POSES[agent_id]
    car = car_centre(frame)
    lines = [f'lidar_pose: [{", ".join(repr(float(v)) for v in pose)}]',
             f'true_ego_pos: [{", ".join(repr(float(v)) for v in pose)}]',
             'ego_speed: 3.2', 'vehicles:',
             f'  {CAR_ID}:', '    obj_type: Car', f'    location: [{car[0]}, {car[1]}, 0.0]',
             '    center: [0.0, 0.0, 0.75]', '    angle: [0.0, 0.0, 0.0]', '    extent: [2.0, 1.0, 0.75]',
             '    speed: 10.0']
    if agent_id < 0:
        lines += [f'  {PED_ID}:', '    obj_type: Pedestrian', '    location: [25.0, 0.0, 0.0]',
                  '    center: [0.0, 0.0, 0.9]', '    angle: [0.0, 30.0, 0.0]', '    extent: [0.3, 0.3, 0.9]']
    for obj_id, obj in (extra_objects or {}).items():
        lines += [f'  {obj_id}:', f'    obj_type: {obj["obj_type"]}', f'    location: {list(obj["location"])}',
                  f'    center: {list(obj.get("center", [0, 0, 0]))}',
                  f'    angle: {list(obj.get("angle", [0, 0, 0]))}',
                  f'    extent: {list(obj["extent"])}']
    return '\n'.join(lines) + '\n'


def write_bin(path: str, points: np.ndarray) -> None:
    np.asarray(points, dtype=np.float32).tofile(path)


def write_pcd(path: str, points: np.ndarray, binary: bool) -> None:
    """Hand-written PCD v0.7 with fields x y z intensity (float32), ASCII or binary."""
    points = np.asarray(points, dtype=np.float32)
    header = ('# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\n'
              f'TYPE F F F F\nCOUNT 1 1 1 1\nWIDTH {len(points)}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\n'
              f'POINTS {len(points)}\nDATA {"binary" if binary else "ascii"}\n')
    with open(path, 'wb') as handle:
        handle.write(header.encode('ascii'))
        if binary:
            handle.write(b''.join(struct.pack('<4f', *row) for row in points))
        else:
            handle.write(''.join(f'{r[0]!r} {r[1]!r} {r[2]!r} {r[3]!r}\n'
                                 for r in points.astype(np.float64)).encode('ascii'))


def write_points(path_no_suffix: str, points: np.ndarray, lidar_format: str) -> str:
    """Write points as 'bin', 'pcd_ascii' or 'pcd_binary'; returns the file path."""
    if lidar_format == 'bin':
        path = path_no_suffix + '.bin'
        write_bin(path, points)
    else:
        path = path_no_suffix + '.pcd'
        write_pcd(path, points, binary=lidar_format == 'pcd_binary')
    return path


def make_tiny_scene(root: str, lidar_format: str = 'bin', split: str = 'train', scenario: str = 'scen_a',
                    frames: Iterable[int] = FRAMES, agents: Iterable[int] = (1, 2, -1),
                    skip: Iterable = ()) -> str:
    """Write the tiny scene under ``root/split/scenario``; ``skip``: (agent_id, frame) pairs left out entirely.

    Returns the scenario folder.
    """
    skip = set(skip)
    scenario_dir = osp.join(root, split, scenario)
    for agent_id in agents:
        agent_dir = osp.join(scenario_dir, str(agent_id))
        os.makedirs(agent_dir, exist_ok=True)
        for frame in frames:
            if (agent_id, frame) in skip:
                continue
            stem = osp.join(agent_dir, f'{frame:06d}')
            with open(stem + '.yaml', 'w') as handle:
                handle.write(frame_yaml(agent_id, frame))
            write_points(stem, agent_points(agent_id, frame), lidar_format)
    return scenario_dir


def make_bad_scene(root: str) -> str:
    """The tiny scene (.bin) with every bad-data case of real releases; returns the scenario folder.

    - agent 2 has no frame 3 at all (missing frame for one agent);
    - 1/000002.bin is empty; 1/000004.bin is truncated (30 bytes); -1/000002.bin has 3 NaN points;
    - 1/000001_additional.yaml is a non-frame yaml; 2/000005.yaml has no point file; 2/000004.bin has no yaml;
    - -1/000001.yaml annotates an unknown obj_type 'Hoverboard' (id 300); -1/000003.yaml is unreadable;
    - the pedestrian (id 200) is annotated by infrastructure -1 only (every frame).
    """
    scenario = make_tiny_scene(root, 'bin', skip=[(2, 3)])
    write_bin(osp.join(scenario, '1', '000002.bin'), np.zeros((0, 4)))
    with open(osp.join(scenario, '1', '000004.bin'), 'r+b') as handle:
        handle.truncate(30)
    nan_points = agent_points(-1, 2)
    nan_points[:3, :3] = np.nan
    write_bin(osp.join(scenario, '-1', '000002.bin'), nan_points)
    with open(osp.join(scenario, '1', '000001_additional.yaml'), 'w') as handle:
        handle.write('camera0: {}\n')
    os.remove(osp.join(scenario, '2', '000005.bin'))
    os.remove(osp.join(scenario, '2', '000004.yaml'))
    with open(osp.join(scenario, '-1', '000001.yaml'), 'w') as handle:
        handle.write(frame_yaml(-1, 1, {300: dict(obj_type='Hoverboard', location=[12, 3, 0], extent=[1, 1, 1])}))
    with open(osp.join(scenario, '-1', '000003.yaml'), 'w') as handle:
        handle.write('lidar_pose: [1, 2\n')
    return scenario


def list_tree(root: str) -> List[str]:
    """Sorted relative paths with size and mtime of every file under ``root`` (to prove nothing changed)."""
    entries = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            stat = os.stat(path)
            entries.append(f'{osp.relpath(path, root)}:{stat.st_size}:{stat.st_mtime_ns}')
    return sorted(entries)


def convert_quietly(root: str, **kwargs):
    """Run the converter on ``root`` (info files into ``root``) without printing."""
    from projects.TurboTrain.turbotrain.datasets.converters import convert_v2xpnp
    kwargs.setdefault('verbose', False)
    return convert_v2xpnp(root, **kwargs)


def tiny_dataset(root: str, pipeline=None, split: str = 'train', **dataset_kwargs):
    """``V2XPnPSeqDataset`` over an already converted tree at ``root`` (default: loading + packing only)."""
    from projects.TurboTrain.turbotrain.datasets import V2XPnPSeqDataset
    if pipeline is None:
        pipeline = [dict(type='LoadCoopPoints'), dict(type='LoadCoopAnnotations'),
                    dict(type='PackCoopInputs', point_cloud_range=[-51.2, -51.2, -8, 51.2, 51.2, 4])]
    dataset_kwargs.setdefault('future_frames', 3)
    dataset_kwargs.setdefault('serialize_data', False)  # mmengine's serialisation runs gc.collect (~1 s)
    return V2XPnPSeqDataset(data_root=root, ann_file=f'v2xpnp_infos_{split}.pkl', pipeline=pipeline,
                            **dataset_kwargs)


def inside_box(points_xyz: np.ndarray, box_bottom: np.ndarray, margin: float = 1e-4) -> np.ndarray:
    """(N,) bool: points (N, 3) inside one mmdet3d LiDAR box [x, y, z_bottom, l, w, h, yaw]."""
    x, y, z, length, width, height, yaw = (float(v) for v in box_bottom[:7])
    c, s = np.cos(yaw), np.sin(yaw)
    dx, dy = points_xyz[:, 0] - x, points_xyz[:, 1] - y
    local_x, local_y = c * dx + s * dy, -s * dx + c * dy
    local_z = points_xyz[:, 2] - z
    return ((np.abs(local_x) <= length / 2 + margin) & (np.abs(local_y) <= width / 2 + margin)
            & (local_z >= -margin) & (local_z <= height + margin))
