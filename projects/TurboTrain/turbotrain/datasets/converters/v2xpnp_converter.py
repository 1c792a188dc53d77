"""V2XPnP-Seq converter: the on-disk dataset (OpenCOOD layout, below) → info files (docs/contract.md).

``convert_v2xpnp(root, out_dir)`` scans ``<root>/<split>/<scenario>/<agent_id>/<frame>.{yaml,pcd,bin}``, reads every
frame yaml and checks every point file (reading it, or with ``lidar_check='header'`` from its size and header only),
and writes ``<out_dir>/v2xpnp_infos_<split>.pkl`` plus
``<out_dir>/v2xpnp_conversion_report.json``. It never writes anywhere else and never modifies the input tree.

Frames and units in the output:
- ``agents[a]['lidar_to_world']``: (4, 4) float64 ``T[a,t]``, agent-frame-at-t → world (``pose_to_matrix``).
- ``objects[i]['box_world']``: (7,) float64 ``[cx, cy, cz, l, w, h, yaw]``, gravity centre in world, full sizes (m),
  yaw in radians (from ``angle[1]`` in degrees).

Documented rules (the report lists every case with file and reason; nothing is dropped silently):
- A frame yaml is a ``<digits>.yaml`` file; other yaml files (``*additional*`` …) are ignored (``info``).
- An agent-frame needs a readable yaml with a finite 6-value ``lidar_pose`` **and** a readable point file; otherwise
  the agent is absent at that frame (``error``: missing partner file, unreadable yaml/point file, bad pose).
  Objects annotated in a readable yaml are kept even when that agent's point file is unreadable (world-frame truth).
- NaN/inf points and empty clouds are kept (the reader drops non-finite points) and reported (``warning``).
- The same object id annotated by several agents is merged into one object; the box of the lowest agent id is kept
  and disagreements (> 0.5 m, > 10°, other ``obj_type``) are reported (``warning``). ``seen_by`` lists the agents.
- An ``obj_type`` missing from ``obj_type_to_class`` keeps ``label = -1`` and is reported (``warning``).
- Frame gaps: a scenario's frame step is the most common id difference (1 in V2X-Real, 2 in OPV2V-style ids);
  ``time_idx = (frame_idx - first) // step`` is the frame's slot on the 10 Hz clock; missing slots are reported for
  the scenario (all agents) or for one agent (``warning``).
Strict mode turns any ``error`` or ``warning`` into a failure (nothing is written).
"""
import io
import json
import os
import os.path as osp
import pickle
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import yaml
from mmengine.utils import track_iter_progress, track_parallel_progress

from ...utils.geometry import pose_to_matrix
from ..lidar_io import LidarReadError, LidarStats, probe_lidar, read_lidar_with_stats
from ..metadata import DEFAULT_CLASSES, DEFAULT_OBJ_TYPE_TO_CLASS, INFO_VERSION, agent_type_name, is_vehicle

FRAME_RATE_HZ = 10
DEFAULT_SPLITS = ('train', 'val', 'test', 'v2v_test')
LIDAR_SUFFIXES = ('.bin', '.pcd')  # preference order when both exist for one frame
REPORT_NAME = 'v2xpnp_conversion_report.json'

MERGE_TOLERANCE_M = 0.5
MERGE_TOLERANCE_DEG = 10.0


def info_filename(split: str) -> str:
    """Name of the info file of ``split``."""
    return f'v2xpnp_infos_{split}.pkl'


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------
class EmptyDatasetError(ValueError):
    """A split to convert holds no scenario or no usable frame (nothing is written)."""


@dataclass
class Issue:
    """One reported problem. ``severity``: 'error' (something skipped), 'warning' (suspicious, kept or handled
    by a rule), 'info' (ignored by design)."""
    severity: str
    kind: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f'[{self.severity}] {self.kind}: {self.path}: {self.reason}'


@dataclass
class ConversionReport:
    """Everything the converter found: per-split summaries and every issue."""
    root: str
    splits: Dict[str, dict] = field(default_factory=dict)
    issues: List[Issue] = field(default_factory=list)
    written: List[str] = field(default_factory=list)
    seconds: float = 0.0
    lidar_check: str = 'full'

    def count(self, severity: str) -> int:
        return sum(issue.severity == severity for issue in self.issues)

    @property
    def ok_for_strict(self) -> bool:
        return self.count('error') == 0 and self.count('warning') == 0

    def to_dict(self) -> dict:
        """JSON-able view (deterministic: no timing)."""
        return dict(root=self.root, lidar_check=self.lidar_check, splits=self.splits,
                    issues=[asdict(i) for i in self.issues],
                    num_errors=self.count('error'), num_warnings=self.count('warning'), num_infos=self.count('info'))

    def summary(self) -> str:
        """Human-readable summary: counts per split, then every issue."""
        lines = [f'V2XPnP conversion of {self.root}'
                 + (' (point files checked by size and header only)' if self.lidar_check == 'header' else '')]
        for split, stats in self.splits.items():
            lines.append(f'  {split}: {stats["scenarios"]} scenarios, {stats["frames"]} frames, '
                         f'{stats["agent_frames"]} agent-frames, agents: {stats["vehicles"]} vehicles + '
                         f'{stats["infrastructures"]} infrastructure, {stats["unique_objects"]} unique objects')
            lines.append(f'    object annotations per class (merged per frame): {stats["objects_per_class"]}')
            lines.append(f'    objects per obj_type: {stats["objects_per_obj_type"]}')
            lines.append(f'    objects seen by one agent only: {stats["objects_seen_by_one_agent"]} (kept: labels are '
                         'the union of the sample agents\' annotations)')
        lines.append(f'  issues: {self.count("error")} errors (skipped), {self.count("warning")} warnings '
                     f'(suspicious), {self.count("info")} infos (ignored by rule)')
        for issue in self.issues:
            lines.append(f'    {issue}')
        return '\n'.join(lines)


# --------------------------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------------------------
_YamlBase = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class FrameYamlLoader(_YamlBase):  # type: ignore[misc, valid-type]
    """Safe YAML loader for OpenCOOD-style frame files: floats such as ``1e-5`` are floats, and python/custom
    tags (``!!python/tuple`` …) load as plain lists/dicts instead of failing."""


def _construct_plain(loader: yaml.Loader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


FrameYamlLoader.add_multi_constructor('tag:yaml.org,2002:python/', _construct_plain)
FrameYamlLoader.add_multi_constructor('!', _construct_plain)
FrameYamlLoader.add_implicit_resolver(
    'tag:yaml.org,2002:float',
    re.compile(r'''^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+][0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$''', re.X),
    list('-+0123456789.'))


def load_frame_yaml(path: str) -> dict:
    """Load one frame yaml → dict. Raises ``ValueError`` naming the file when it is not a mapping or unparsable."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            content = yaml.load(handle, Loader=FrameYamlLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ValueError(f'{path}: unreadable yaml ({type(err).__name__}: {str(err).splitlines()[0]})') from None
    if not isinstance(content, dict):
        raise ValueError(f'{path}: yaml is not a mapping (got {type(content).__name__})')
    return content


def _vector(value, length: int, what: str) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.shape[0] != length:
        raise ValueError(f'{what} has {array.shape[0]} values, expected {length}')
    if not np.isfinite(array).all():
        raise ValueError(f'{what} is not finite: {array.tolist()}')
    return array


def object_to_box_world(obj: dict) -> np.ndarray:
    """OpenCOOD object record → (7,) float64 ``[cx, cy, cz, l, w, h, yaw]`` in world (gravity centre, rad).

    Centre = ``location + center`` (world axes), sizes = 2 × ``extent``, yaw = ``angle[1]`` (degrees → rad).
    """
    location = _vector(obj['location'], 3, 'location')
    offset = _vector(obj.get('center', [0.0, 0.0, 0.0]), 3, 'center')
    extent = _vector(obj['extent'], 3, 'extent')
    angle = _vector(obj.get('angle', [0.0, 0.0, 0.0]), 3, 'angle')
    if (extent <= 0).any():
        raise ValueError(f'extent must be positive, got {extent.tolist()}')
    centre = location + offset
    yaw = np.radians(angle[1])
    yaw = (yaw + np.pi) % (2 * np.pi) - np.pi
    return np.array([centre[0], centre[1], centre[2], 2 * extent[0], 2 * extent[1], 2 * extent[2], yaw],
                    dtype=np.float64)


# --------------------------------------------------------------------------------------------------------------
# Scan
# --------------------------------------------------------------------------------------------------------------
@dataclass
class AgentFrameTask:
    """One agent-frame to read: paths are absolute; ``lidar_rel`` is relative to the dataset root."""
    split: str
    scenario: str
    agent_id: int
    frame: str
    yaml_path: str
    lidar_path: Optional[str]
    lidar_rel: Optional[str]
    lidar_check: str = 'full'  # 'full': read every point; 'header': size and header only (see convert_v2xpnp)


def _parse_agent_id(name: str) -> Optional[int]:
    try:
        return int(name)
    except ValueError:
        return None


def scan_split(root: str, split: str) -> Tuple[List[AgentFrameTask], List[Issue]]:
    """List the agent-frames of ``<root>/<split>`` (sorted) and the structural issues (non-frame yaml, partner files
    missing, stray folders)."""
    tasks: List[AgentFrameTask] = []
    issues: List[Issue] = []
    split_dir = osp.join(root, split)
    for scenario in sorted(os.listdir(split_dir)):
        scenario_dir = osp.join(split_dir, scenario)
        if not osp.isdir(scenario_dir):
            continue
        agent_dirs = []
        for name in os.listdir(scenario_dir):
            path = osp.join(scenario_dir, name)
            if not osp.isdir(path):
                continue
            agent_id = _parse_agent_id(name)
            if agent_id is None or agent_id == 0:
                issues.append(Issue('info', 'not_an_agent_folder', path,
                                    'folder name is not a non-zero integer agent id; ignored'))
                continue
            agent_dirs.append((agent_id, name))
        for agent_id, name in sorted(agent_dirs):
            agent_dir = osp.join(scenario_dir, name)
            stems: Dict[str, Dict[str, str]] = defaultdict(dict)
            for file_name in os.listdir(agent_dir):
                stem, suffix = osp.splitext(file_name)
                suffix = suffix.lower()
                if suffix == '.yaml' and not stem.isdigit():
                    issues.append(Issue('info', 'non_frame_yaml', osp.join(agent_dir, file_name),
                                        'yaml file whose name is not a frame number; ignored'))
                    continue
                if stem.isdigit() and suffix in ('.yaml',) + LIDAR_SUFFIXES:
                    stems[stem][suffix] = file_name
            for stem in sorted(stems, key=lambda s: (int(s), s)):
                files = stems[stem]
                yaml_file = files.get('.yaml')
                lidar_files = [files[s] for s in LIDAR_SUFFIXES if s in files]
                if yaml_file is None:
                    for lidar_file in lidar_files:
                        issues.append(Issue('error', 'missing_yaml', osp.join(agent_dir, lidar_file),
                                            f'no {stem}.yaml beside this point file; agent-frame skipped'))
                    continue
                yaml_path = osp.join(agent_dir, yaml_file)
                if not lidar_files:
                    issues.append(Issue('error', 'missing_lidar', yaml_path,
                                        f'no {stem}.pcd or {stem}.bin beside this yaml; the agent has no point '
                                        'cloud at this frame (its annotations are kept)'))
                    tasks.append(AgentFrameTask(split, scenario, agent_id, stem, yaml_path, None, None))
                    continue
                if len(lidar_files) > 1:
                    issues.append(Issue('warning', 'duplicate_lidar', osp.join(agent_dir, lidar_files[0]),
                                        f'several point files for frame {stem} ({lidar_files}); using '
                                        f'{lidar_files[0]}'))
                lidar_path = osp.join(agent_dir, lidar_files[0])
                tasks.append(AgentFrameTask(split, scenario, agent_id, stem, yaml_path, lidar_path,
                                            osp.relpath(lidar_path, root)))
    return tasks, issues


# --------------------------------------------------------------------------------------------------------------
# Per agent-frame work (runs in worker processes)
# --------------------------------------------------------------------------------------------------------------
def read_agent_frame(task: AgentFrameTask) -> dict:
    """Read one agent-frame's yaml and point file. Never raises: problems become issues.

    Returns dict(task, agent=None | dict(lidar_to_world, num_points, lidar_path), objects=[dict(obj_id, obj_type,
    box_world)], issues=[Issue]).
    """
    result = dict(task=task, agent=None, objects=[], issues=[])
    issues: List[Issue] = result['issues']
    try:
        content = load_frame_yaml(task.yaml_path)
    except ValueError as err:
        issues.append(Issue('error', 'unreadable_yaml', task.yaml_path, str(err).split(': ', 1)[-1] +
                            '; agent-frame skipped'))
        return result

    pose = None
    if 'lidar_pose' not in content:
        issues.append(Issue('error', 'missing_lidar_pose', task.yaml_path,
                            'frame yaml has no lidar_pose; the agent is absent at this frame'))
    else:
        try:
            pose = _vector(content['lidar_pose'], 6, 'lidar_pose')
        except (TypeError, ValueError) as err:
            issues.append(Issue('error', 'bad_lidar_pose', task.yaml_path,
                                f'{err}; the agent is absent at this frame'))

    vehicles = content.get('vehicles') or {}
    if not isinstance(vehicles, dict):
        issues.append(Issue('error', 'bad_vehicles', task.yaml_path,
                            f'vehicles is a {type(vehicles).__name__}, expected a mapping; annotations skipped'))
        vehicles = {}
    for key in sorted(vehicles, key=str):
        obj = vehicles[key]
        try:
            obj_id = int(key)
            if not isinstance(obj, dict):
                raise ValueError('record is not a mapping')
            obj_type = obj.get('obj_type')
            if not isinstance(obj_type, str) or not obj_type:
                raise ValueError(f'obj_type missing or not a string ({obj_type!r})')
            box = object_to_box_world(obj)
        except (KeyError, TypeError, ValueError) as err:
            issues.append(Issue('error', 'bad_object', task.yaml_path,
                                f'object {key!r} skipped: {type(err).__name__}: {err}'))
            continue
        result['objects'].append(dict(obj_id=obj_id, obj_type=obj_type, box_world=box))

    if pose is None or task.lidar_path is None:
        return result
    try:
        if task.lidar_check == 'header':
            stats = LidarStats(num_points=probe_lidar(task.lidar_path), num_nonfinite=0)  # non-finite not counted
        else:
            _, stats = read_lidar_with_stats(task.lidar_path)
    except LidarReadError as err:
        issues.append(Issue('error', 'unreadable_lidar', task.lidar_path,
                            f'{err.reason}; the agent is absent at this frame (its annotations are kept)'))
        return result
    if stats.num_nonfinite:
        issues.append(Issue('warning', 'nonfinite_points', task.lidar_path,
                            f'{stats.num_nonfinite} points with NaN/inf coordinates (dropped at load), '
                            f'{stats.num_points} finite points kept'))
    if stats.num_points == 0:
        issues.append(Issue('warning', 'empty_cloud', task.lidar_path,
                            'point cloud has no finite points; kept as an empty cloud'))
    result['agent'] = dict(lidar_to_world=pose_to_matrix(pose), num_points=stats.num_points,
                           lidar_path=task.lidar_rel)
    return result


# --------------------------------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------------------------------
def _frame_step(frame_ids: Sequence[int]) -> int:
    diffs = np.diff(sorted(set(frame_ids)))
    if len(diffs) == 0:
        return 1
    counts = Counter(int(d) for d in diffs)
    # most common difference; ties → the smaller one
    return min(counts, key=lambda d: (-counts[d], d))


def _ranges(values: List[int]) -> str:
    """[1, 2, 3, 7] → '1-3, 7'."""
    parts, start = [], None
    for i, value in enumerate(values):
        if start is None:
            start = value
        if i + 1 == len(values) or values[i + 1] != value + 1:
            parts.append(f'{start}' if start == value else f'{start}-{value}')
            start = None
    return ', '.join(parts)


def _merge_objects(records: List[Tuple[int, dict]], obj_type_to_class: Dict[str, str],
                   classes: Sequence[str], frame_desc: str, issues: List[Issue]) -> List[dict]:
    """Merge per-agent annotations of one frame by object id. ``records``: (agent_id, object) in agent order."""
    by_id: Dict[int, dict] = {}
    for agent_id, obj in records:
        merged = by_id.get(obj['obj_id'])
        if merged is None:
            by_id[obj['obj_id']] = dict(obj_id=obj['obj_id'], obj_type=obj['obj_type'],
                                        box_world=obj['box_world'].copy(), seen_by=[agent_id])
            continue
        merged['seen_by'].append(agent_id)
        first = merged['seen_by'][0]
        if obj['obj_type'] != merged['obj_type']:
            issues.append(Issue('warning', 'object_conflict', frame_desc,
                                f'object {obj["obj_id"]}: obj_type {merged["obj_type"]!r} (agent {first}) vs '
                                f'{obj["obj_type"]!r} (agent {agent_id}); keeping agent {first}\'s'))
        shift = float(np.linalg.norm(obj['box_world'][:3] - merged['box_world'][:3]))
        dyaw = abs((obj['box_world'][6] - merged['box_world'][6] + np.pi) % (2 * np.pi) - np.pi)
        if shift > MERGE_TOLERANCE_M or np.degrees(dyaw) > MERGE_TOLERANCE_DEG:
            issues.append(Issue('warning', 'object_conflict', frame_desc,
                                f'object {obj["obj_id"]}: boxes of agents {first} and {agent_id} differ by '
                                f'{shift:.2f} m / {np.degrees(dyaw):.1f} deg; keeping agent {first}\'s'))
    objects = []
    for obj_id in sorted(by_id):
        obj = by_id[obj_id]
        class_name = obj_type_to_class.get(obj['obj_type'])
        obj['label'] = classes.index(class_name) if class_name in classes else -1
        obj['seen_by'] = sorted(set(obj['seen_by']))
        objects.append(obj)
    return objects


def build_split_infos(root: str, split: str, results: List[dict], classes: Sequence[str],
                      obj_type_to_class: Dict[str, str], issues: List[Issue]) -> Tuple[List[dict], dict]:
    """Assemble frame infos (sorted by scenario, frame) from per-agent-frame results; returns (data_list, stats)."""
    per_frame: Dict[Tuple[str, int], List[dict]] = defaultdict(list)
    for result in results:
        task = result['task']
        per_frame[(task.scenario, int(task.frame))].append(result)

    data_list: List[dict] = []
    unknown_types: Dict[str, List[str]] = defaultdict(list)
    objects_per_class: Counter = Counter()
    objects_per_type: Counter = Counter()
    unique_objects = set()
    seen_by_one = 0
    agent_frames = 0
    scenario_agents: Dict[str, set] = defaultdict(set)
    scenario_frames: Dict[str, List[int]] = defaultdict(list)
    for scenario, frame_idx in sorted(per_frame):
        scenario_frames[scenario].append(frame_idx)
    frame_steps = {s: _frame_step(ids) for s, ids in scenario_frames.items()}

    for scenario, frame_idx in sorted(per_frame):
        frame_results = sorted(per_frame[(scenario, frame_idx)], key=lambda r: r['task'].agent_id)
        frame = frame_results[0]['task'].frame
        agents = {}
        records = []
        for result in frame_results:
            task = result['task']
            scenario_agents[scenario].add(task.agent_id)
            records.extend((task.agent_id, obj) for obj in result['objects'])
            if result['agent'] is not None:
                agents[task.agent_id] = dict(
                    agent_id=task.agent_id,
                    agent_type=agent_type_name(task.agent_id),
                    lidar_path=result['agent']['lidar_path'],
                    lidar_to_world=result['agent']['lidar_to_world'],
                    num_points=result['agent']['num_points'])
        agent_frames += len(agents)
        frame_desc = osp.join(root, split, scenario, f'*/{frame}.yaml')
        objects = _merge_objects(records, obj_type_to_class, classes, frame_desc, issues)
        for obj in objects:
            objects_per_type[obj['obj_type']] += 1
            unique_objects.add((scenario, obj['obj_id']))
            if len(obj['seen_by']) == 1:
                seen_by_one += 1
            if obj['label'] >= 0:
                objects_per_class[classes[obj['label']]] += 1
            elif obj_type_to_class.get(obj['obj_type']) is None:
                unknown_types[obj['obj_type']].append(frame_desc)
        first = scenario_frames[scenario][0]
        time_idx = (frame_idx - first) // frame_steps[scenario]
        data_list.append(dict(
            sample_idx=len(data_list), scenario=scenario, frame=frame, frame_idx=frame_idx, time_idx=int(time_idx),
            timestamp=float(time_idx) / FRAME_RATE_HZ, agents=agents, objects=objects))

    # frame gaps, per scenario and per agent
    agent_presence: Dict[Tuple[str, int], set] = defaultdict(set)
    for result in results:
        task = result['task']
        if result['agent'] is not None:
            agent_presence[(task.scenario, task.agent_id)].add(int(task.frame))
    for scenario, frame_ids in scenario_frames.items():
        step = frame_steps[scenario]
        expected = set(range(frame_ids[0], frame_ids[-1] + 1, step))
        missing = sorted(expected - set(frame_ids))
        if missing:
            issues.append(Issue('warning', 'frame_gap', osp.join(root, split, scenario),
                                f'frames missing for every agent (step {step}): {_ranges(missing)}'))
        off_grid = sorted(f for f in frame_ids if (f - frame_ids[0]) % step)
        if off_grid:
            issues.append(Issue('warning', 'frame_off_grid', osp.join(root, split, scenario),
                                f'frame ids not on the step-{step} grid (mapped to the earlier slot): '
                                f'{_ranges(off_grid)}'))
        for agent_id in sorted(scenario_agents[scenario]):
            present = agent_presence.get((scenario, agent_id), set())
            absent = sorted(set(frame_ids) - present)
            if absent:
                issues.append(Issue('warning', 'agent_missing_frames', osp.join(root, split, scenario, str(agent_id)),
                                    f'agent {agent_id} has no usable point cloud at frames {_ranges(absent)} '
                                    '(other agents have them): empty cloud, agent_frame_valid=False'))
    for obj_type in sorted(unknown_types):
        where = unknown_types[obj_type]
        issues.append(Issue('warning', 'unknown_obj_type', where[0],
                            f'obj_type {obj_type!r} is not in obj_type_to_class ({len(where)} annotations, first '
                            'here); kept with label -1 (not a training label)'))

    vehicles = sum(1 for agents in scenario_agents.values() for a in agents if is_vehicle(a))
    stats = dict(scenarios=len(scenario_frames), frames=len(data_list), agent_frames=agent_frames,
                 vehicles=vehicles, infrastructures=sum(len(a) for a in scenario_agents.values()) - vehicles,
                 unique_objects=len(unique_objects),
                 objects_per_class={name: objects_per_class.get(name, 0) for name in classes},
                 objects_per_obj_type=dict(sorted(objects_per_type.items())),
                 objects_seen_by_one_agent=seen_by_one,
                 frame_steps=dict(sorted(frame_steps.items())))
    return data_list, stats


def _run_tasks(tasks: List[AgentFrameTask], workers: int, progress: bool = False) -> List[dict]:
    """Read every agent-frame, results in input order; ``progress`` shows mmengine's progress bar (count, rate,
    time left)."""
    if workers <= 1 or len(tasks) < 2:
        if progress and tasks:
            return [read_agent_frame(task) for task in track_iter_progress(tasks, file=sys.stdout)]
        return [read_agent_frame(task) for task in tasks]
    chunk = max(1, len(tasks) // (workers * 8))
    if progress:  # Pool.imap underneath: input order kept → deterministic
        return track_parallel_progress(read_agent_frame, tasks, workers, chunksize=chunk, file=sys.stdout)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(read_agent_frame, tasks, chunksize=chunk))  # keeps input order → deterministic


def _canonical_pickle(obj) -> bytes:
    """Pickle without the memo, so the bytes depend on values only — not on which equal objects happen to be
    shared (which differs between in-process and worker-process reading)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.fast = True  # no memo: the info structure is a tree (no cycles)
    pickler.dump(obj)
    return buffer.getvalue()


def _atomic_write(path: str, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file in the same folder, then rename (atomic)."""
    directory = osp.dirname(osp.abspath(path))
    handle, tmp_path = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=directory)
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def convert_v2xpnp(root: str,
                   out_dir: Optional[str] = None,
                   splits: Optional[Iterable[str]] = None,
                   workers: int = 0,
                   strict: bool = False,
                   overwrite: bool = False,
                   classes: Sequence[str] = DEFAULT_CLASSES,
                   obj_type_to_class: Optional[Dict[str, str]] = None,
                   lidar_check: str = 'full',
                   verbose: bool = True) -> ConversionReport:
    """Convert a V2XPnP-Seq tree into ``v2xpnp_infos_<split>.pkl`` files (see module docstring).

    Args:
        root: dataset root holding the split folders.
        out_dir: where the info files and the report go (default: ``root``).
        splits: splits to convert (default: those of ``train, val, test, v2v_test`` that exist).
        workers: processes reading files (0/1 = in this process).
        strict: any error or warning → nothing written, ``RuntimeError`` raised.
        overwrite: replace existing info/report files (atomically); without it an existing info or report file
            makes this raise ``FileExistsError`` before anything is read.
        classes, obj_type_to_class: class names and the obj_type → class mapping (config metainfo).
        lidar_check: ``'full'`` reads every point file (non-finite points are dropped from ``num_points`` and
            reported); ``'header'`` checks each file's size and header only (:func:`probe_lidar`): truncated and
            malformed files are still errors, but ``num_points`` is the declared count, non-finite points are
            neither counted nor reported, and ``binary_compressed`` payloads are not checked. For a first pass over
            a large tree; a full pass remains the reference.
    Returns:
        The :class:`ConversionReport` (also written as ``v2xpnp_conversion_report.json``).
    """
    start = time.perf_counter()
    root = osp.abspath(root)
    out_dir = osp.abspath(out_dir or root)
    classes = tuple(classes)
    obj_type_to_class = dict(DEFAULT_OBJ_TYPE_TO_CLASS if obj_type_to_class is None else obj_type_to_class)
    if lidar_check not in ('full', 'header'):
        raise ValueError(f"lidar_check must be 'full' or 'header', got {lidar_check!r}")
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root}: dataset root does not exist')
    if splits is None:
        splits = [s for s in DEFAULT_SPLITS if osp.isdir(osp.join(root, s))]
    splits = list(splits)
    if not splits:
        raise FileNotFoundError(f'{root}: no split folder ({", ".join(DEFAULT_SPLITS)}) found')
    for split in splits:
        if not osp.isdir(osp.join(root, split)):
            raise FileNotFoundError(f'{osp.join(root, split)}: split folder does not exist')
    targets = [osp.join(out_dir, info_filename(s)) for s in splits] + [osp.join(out_dir, REPORT_NAME)]
    existing = [t for t in targets if osp.exists(t)]
    if existing and not overwrite:
        raise FileExistsError(f'info files exist, refusing to overwrite (pass --overwrite): {existing}')

    report = ConversionReport(root=root, lidar_check=lidar_check)
    payloads: Dict[str, bytes] = {}
    for split in splits:
        tasks, issues = scan_split(root, split)
        if not tasks:
            split_dir = osp.join(root, split)
            has_scenarios = any(osp.isdir(osp.join(split_dir, name)) for name in os.listdir(split_dir))
            what = 'no agent frames (<scenario>/<agent id>/<frame>.yaml + point file)' if has_scenarios \
                else 'no scenario folders'
            raise EmptyDatasetError(f'{split_dir}: {what}; nothing written (convert other splits with --splits)')
        tasks = [replace(task, lidar_check=lidar_check) for task in tasks]
        report.issues.extend(issues)
        if verbose:
            print(f'{split}: reading {len(tasks)} agent-frames', flush=True)
        results = _run_tasks(tasks, workers, progress=verbose)
        for result in results:
            report.issues.extend(result['issues'])
        data_list, stats = build_split_infos(root, split, results, classes, obj_type_to_class, report.issues)
        if not data_list:
            raise EmptyDatasetError(f'{osp.join(root, split)}: none of its {len(tasks)} agent frames is usable '
                                    f'({report.count("error")} errors so far); nothing written')
        report.splits[split] = stats
        metainfo = dict(dataset='V2XPnP-Seq', info_version=INFO_VERSION, split=split, classes=classes,
                        obj_type_to_class=obj_type_to_class, frame_rate_hz=FRAME_RATE_HZ)
        payloads[split] = _canonical_pickle(dict(metainfo=metainfo, data_list=data_list))
    report.seconds = time.perf_counter() - start

    if strict and not report.ok_for_strict:
        if verbose:
            print(report.summary())
        raise RuntimeError(f'strict mode: {report.count("error")} errors and {report.count("warning")} warnings '
                           f'in {root}; no info file written')
    os.makedirs(out_dir, exist_ok=True)
    for split in splits:
        path = osp.join(out_dir, info_filename(split))
        _atomic_write(path, payloads[split])
        report.written.append(path)
    report_path = osp.join(out_dir, REPORT_NAME)
    _atomic_write(report_path, json.dumps(report.to_dict(), indent=1, sort_keys=False).encode('utf-8'))
    report.written.append(report_path)
    if verbose:
        print(report.summary())
        print(f'wrote {", ".join(report.written)} in {report.seconds:.2f} s')
    return report
