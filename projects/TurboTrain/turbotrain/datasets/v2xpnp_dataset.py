"""V2XPnP-Seq as an mmdet3d dataset of cooperative (ego, t0) samples (docs/contract.md).

A sample is one ego agent at one current frame ``t0`` with its cooperators: the other agents of the scenario whose
LiDAR lies within ``comm_range`` of the ego LiDAR at ``t0``. For every agent ``a`` and history slot ``t`` the sample
holds the point-file path, ``M[a,t] = inv(T[ego,t0]) @ T[a,t]`` (agent-frame-at-t → ego-frame-at-t0) and a validity
flag; labels (when ``load_labels``) are in the ego frame at ``t0``.

Documented rules:
- Time: frames are indexed by the converter's ``time_idx`` (10 Hz slots). History slots
  ``t0-(H-1)Δ … t0``, future ``t0+Δ … t0+FΔ`` with Δ = ``frame_interval``. With ``require_full_history`` (default)
  a ``t0`` is used only when its first history slot is inside the scenario.
- Ego: an agent with a point cloud at ``t0`` whose type fits ``collaboration_mode``
  (``vehicle_centric``: vehicles, cooperators = all; ``infrastructure_centric``: infrastructure, cooperators = all;
  ``v2v``: vehicles only; ``i2i``: infrastructure only; ``all``: any agent, cooperators = all).
- Cooperator range: BEV (x, y) distance between LiDAR positions at ``t0`` (as OpenCOOD); an agent missing at
  ``t0`` is placed at its latest history frame (never later than ``t0``); an agent absent from the whole history
  window is not a cooperator. When more than ``max_agents - 1`` cooperators qualify the nearest are kept (ties: lower
  id). Order: ego first, then by agent id. The ego's own vehicle is a label when another agent annotated it
  (OpenCOOD behaviour: connected vehicles appear in each other's yaml).
- Latency (``cooperator_delay`` = k ≥ 0, in 10 Hz slots of 100 ms): every cooperator's history slot ``s`` holds
  its data of slot ``s - k`` — the point file **and** the pose ``T[a, s-k]`` of that delayed frame, so
  ``M[a,t] = inv(T[ego,t0]) @ T[a, s-k]``: the delayed cloud is placed where the cooperator really was when it
  scanned, and what moved since then appears where it was k slots ago. The ego (agent 0) and the labels are not
  delayed; the cooperators chosen, the samples and their labels are those of ``k = 0`` (paired evaluation), and a
  delayed frame before the scenario start is missing. ``k = 0`` is the undelayed dataset exactly.
- Missing agent-frames: path ``None``, ``agent_frame_valid = False``, ``M = I`` (the loader gives an empty cloud).
- Labels: the objects annotated at ``t0`` by at least one agent of the sample (``label_visibility='sample_agents'``,
  V2XPnP's rule: the union of the sample agents' annotations) or by any agent (``'all'``). Classes come from the
  metainfo ``obj_type_to_class``; an ``obj_type`` outside it (or a class outside ``classes``) is not a label and is
  reported once per type. Past/future centres come from any agent's annotation of the same object id at that frame;
  where nobody annotated it the step is masked (never invented).
- ``load_labels=False`` (pretraining): ``objects`` of the info file are never read.
"""
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.fileio import load
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from mmdet3d.datasets import Det3DDataset
from mmdet3d.registry import DATASETS
from mmdet3d.structures import LiDARInstance3DBoxes

from .metadata import DEFAULT_CLASSES, DEFAULT_OBJ_TYPE_TO_CLASS, INFO_VERSION, INFRASTRUCTURE, VEHICLE, agent_type_of
from .seeded_sampler import seeded_global_rngs

#: collaboration mode → (ego agent types, cooperator agent types)
COLLABORATION_MODES = {
    'vehicle_centric': ({VEHICLE}, {VEHICLE, INFRASTRUCTURE}),
    'infrastructure_centric': ({INFRASTRUCTURE}, {VEHICLE, INFRASTRUCTURE}),
    'v2v': ({VEHICLE}, {VEHICLE}),
    'i2i': ({INFRASTRUCTURE}, {INFRASTRUCTURE}),
    'all': ({VEHICLE, INFRASTRUCTURE}, {VEHICLE, INFRASTRUCTURE}),
}


def boxes_world_to_frame(boxes_world: np.ndarray, world_to_frame: np.ndarray) -> np.ndarray:
    """(N, 7) world gravity-centre boxes ``[cx, cy, cz, l, w, h, yaw]`` → the same in the frame of
    ``world_to_frame`` (4, 4). The heading vector is rotated, so a non-level frame still gives the right yaw."""
    boxes_world = np.asarray(boxes_world, dtype=np.float64).reshape(-1, 7)
    rotation, translation = world_to_frame[:3, :3], world_to_frame[:3, 3]
    out = boxes_world.copy()
    out[:, :3] = boxes_world[:, :3] @ rotation.T + translation
    heading = np.stack([np.cos(boxes_world[:, 6]), np.sin(boxes_world[:, 6]), np.zeros(len(boxes_world))], 1)
    heading = heading @ rotation.T
    out[:, 6] = np.arctan2(heading[:, 1], heading[:, 0])
    return out


def centres_world_to_frame(centres_world: np.ndarray, world_to_frame: np.ndarray) -> np.ndarray:
    """(..., 3) world points → (..., 3) in the frame of ``world_to_frame``."""
    return centres_world @ world_to_frame[:3, :3].T + world_to_frame[:3, 3]


@DATASETS.register_module()
class V2XPnPSeqDataset(Det3DDataset):
    """Cooperative sequential V2XPnP samples (ego, t0) for detection, prediction and pretraining.

    Args:
        data_root: dataset root; info ``lidar_path`` values are relative to it.
        ann_file: info file written by ``tools/create_data.py v2xpnp``.
        metainfo: overrides of :attr:`METAINFO` (``classes``, ``obj_type_to_class``).
        pipeline: transforms (see ``turbotrain/datasets/transforms``).
        history_frames: H, history slots per agent (oldest first, current last). Default 3 (0.3 s at Δ=1).
        future_frames: F, future slots per object. Default 10 (1 s at Δ=1).
        frame_interval: Δ in 10 Hz slots between consecutive history / future steps. Default 1.
        comm_range: metres between ego and cooperator LiDARs at t0; ``None`` = no limit. Default 50.
        max_agents: ego + cooperators kept per sample. Default 4.
        collaboration_mode: one of :data:`COLLABORATION_MODES`.
        load_labels: False → no annotation is read at all (pretraining).
        label_visibility: 'sample_agents' (default) or 'all' (see module docstring).
        require_full_history: skip t0 whose first history slot is before the scenario start.
        filter_empty_gt: drop training samples without labels (default False: empty scenes are valid samples).
        cooperator_delay: k, the cooperators' latency in 10 Hz slots (100 ms each), 0 = none (module docstring).
    """

    METAINFO = dict(
        classes=DEFAULT_CLASSES,
        obj_type_to_class=DEFAULT_OBJ_TYPE_TO_CLASS,
        palette=[(255, 158, 0), (0, 0, 230), (47, 79, 79)],
    )

    def __init__(self,
                 data_root: Optional[str] = None,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 pipeline: List[Union[dict, Callable]] = [],
                 history_frames: int = 3,
                 future_frames: int = 10,
                 frame_interval: int = 1,
                 comm_range: Optional[float] = 50.0,
                 max_agents: int = 4,
                 collaboration_mode: str = 'vehicle_centric',
                 load_labels: bool = True,
                 label_visibility: str = 'sample_agents',
                 require_full_history: bool = True,
                 data_prefix: dict = dict(pts=''),
                 modality: dict = dict(use_lidar=True, use_camera=False),
                 box_type_3d: str = 'LiDAR',
                 filter_empty_gt: bool = False,
                 test_mode: bool = False,
                 cooperator_delay: int = 0,
                 **kwargs) -> None:
        if collaboration_mode not in COLLABORATION_MODES:
            raise ValueError(f'collaboration_mode must be one of {sorted(COLLABORATION_MODES)}, '
                             f'got {collaboration_mode!r}')
        if label_visibility not in ('sample_agents', 'all'):
            raise ValueError(f"label_visibility must be 'sample_agents' or 'all', got {label_visibility!r}")
        if history_frames < 1 or future_frames < 0 or frame_interval < 1 or max_agents < 1:
            raise ValueError('need history_frames >= 1, future_frames >= 0, frame_interval >= 1, max_agents >= 1')
        if int(cooperator_delay) != cooperator_delay or cooperator_delay < 0:
            raise ValueError(f'cooperator_delay must be an integer number of 10 Hz slots >= 0, '
                             f'got {cooperator_delay!r}')
        self.cooperator_delay = int(cooperator_delay)
        self.history_frames = int(history_frames)
        self.future_frames = int(future_frames)
        self.frame_interval = int(frame_interval)
        self.comm_range = None if comm_range is None else float(comm_range)
        self.max_agents = int(max_agents)
        self.collaboration_mode = collaboration_mode
        self.load_labels = bool(load_labels)
        self.label_visibility = label_visibility
        self.require_full_history = bool(require_full_history)
        self._unknown_obj_types: Dict[str, int] = defaultdict(int)
        # Pipelines name mmdet3d-registered transforms; outside a Runner no default scope may be set yet.
        scope = None if DefaultScope.get_current_instance() is not None else 'mmdet3d'
        with DefaultScope.overwrite_default_scope(scope):
            super().__init__(data_root=data_root, ann_file=ann_file, metainfo=metainfo, data_prefix=data_prefix,
                             pipeline=pipeline, modality=modality, box_type_3d=box_type_3d,
                             filter_empty_gt=filter_empty_gt and load_labels, test_mode=test_mode, **kwargs)

    # ----------------------------------------------------------------------------------------------------------
    # Loading the index
    # ----------------------------------------------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        """Read the info file and expand its frames into (ego, t0) samples (see module docstring)."""
        annotations = load(self.ann_file, backend_args=self.backend_args)
        if not isinstance(annotations, dict) or 'data_list' not in annotations or 'metainfo' not in annotations:
            raise ValueError(f'{self.ann_file}: not a V2XPnP info file (need a dict with metainfo and data_list)')
        file_meta = annotations['metainfo']
        if file_meta.get('info_version') != INFO_VERSION:
            raise ValueError(f'{self.ann_file}: info_version {file_meta.get("info_version")!r}, this code reads '
                             f'{INFO_VERSION}; re-run tools/create_data.py v2xpnp')
        for key, value in file_meta.items():
            self._metainfo.setdefault(key, value)

        frames_by_scenario: Dict[str, Dict[int, dict]] = defaultdict(dict)
        for frame_info in annotations['data_list']:
            frames_by_scenario[frame_info['scenario']][int(frame_info['time_idx'])] = frame_info

        data_list = []
        for scenario in sorted(frames_by_scenario):
            frames = frames_by_scenario[scenario]
            object_tracks = self._object_tracks(frames) if self.load_labels else None
            first_slot = min(frames)
            for time_idx in sorted(frames):
                if self.require_full_history and \
                        time_idx - (self.history_frames - 1) * self.frame_interval < first_slot:
                    continue
                for sample in self._samples_at(frames, time_idx, object_tracks):
                    data_list.append(self.parse_data_info(sample))
        if self._unknown_obj_types:
            print_log(f'{self.ann_file}: obj_type values outside metainfo obj_type_to_class are not labels: '
                      f'{dict(sorted(self._unknown_obj_types.items()))}', 'current', level=30)
        return data_list

    @staticmethod
    def _object_tracks(frames: Dict[int, dict]) -> Dict[int, Dict[int, np.ndarray]]:
        """time_idx → {obj_id: box_world (7,)} over every agent's annotations (labels only)."""
        return {time_idx: {obj['obj_id']: obj['box_world'] for obj in info['objects']}
                for time_idx, info in frames.items()}

    def _history_slots(self, time_idx: int) -> List[int]:
        return [time_idx - (self.history_frames - 1 - k) * self.frame_interval for k in range(self.history_frames)]

    def _select_agents(self, frames: Dict[int, dict], time_idx: int, ego_id: int) -> List[int]:
        """Ego first, then cooperators (within range, nearest ``max_agents - 1``) sorted by id."""
        _, cooperator_types = COLLABORATION_MODES[self.collaboration_mode]
        ego_position = frames[time_idx]['agents'][ego_id]['lidar_to_world'][:3, 3]
        latest_pose: Dict[int, np.ndarray] = {}
        for slot in self._history_slots(time_idx):  # oldest → newest: later frames overwrite
            for agent_id, agent in frames.get(slot, {}).get('agents', {}).items():
                latest_pose[agent_id] = agent['lidar_to_world']
        candidates = []
        for agent_id, pose in latest_pose.items():
            if agent_id == ego_id or agent_type_of(agent_id) not in cooperator_types:
                continue
            distance = float(np.linalg.norm(pose[:2, 3] - ego_position[:2]))  # BEV, as OpenCOOD
            if self.comm_range is None or distance <= self.comm_range:
                candidates.append((distance, agent_id))
        chosen = sorted(candidates)[:self.max_agents - 1]
        return [ego_id] + sorted(agent_id for _, agent_id in chosen)

    def _samples_at(self, frames: Dict[int, dict], time_idx: int,
                    object_tracks: Optional[Dict[int, Dict[int, np.ndarray]]]) -> List[dict]:
        ego_types, _ = COLLABORATION_MODES[self.collaboration_mode]
        frame_info = frames[time_idx]
        slots = self._history_slots(time_idx)
        samples = []
        for ego_id in sorted(frame_info['agents']):
            if agent_type_of(ego_id) not in ego_types:
                continue
            agent_ids = self._select_agents(frames, time_idx, ego_id)
            ego_to_world = np.asarray(frame_info['agents'][ego_id]['lidar_to_world'], dtype=np.float64)
            world_to_ego = np.linalg.inv(ego_to_world)
            num_agents, num_slots = len(agent_ids), len(slots)
            poses = np.tile(np.eye(4), (num_agents, num_slots, 1, 1))
            valid = np.zeros((num_agents, num_slots), dtype=bool)
            paths: List[List[Optional[str]]] = [[None] * num_slots for _ in agent_ids]
            num_points = np.zeros((num_agents, num_slots), dtype=np.int64)
            for a, agent_id in enumerate(agent_ids):
                delay = self.cooperator_delay if a > 0 else 0
                for t, slot in enumerate(slots):
                    agent = frames.get(slot - delay, {}).get('agents', {}).get(agent_id)
                    if agent is None:
                        continue
                    poses[a, t] = world_to_ego @ agent['lidar_to_world']
                    valid[a, t] = True
                    paths[a][t] = agent['lidar_path']
                    num_points[a, t] = agent.get('num_points', -1)
            sample = dict(
                scenario=frame_info['scenario'], frame=frame_info['frame'], frame_idx=frame_info['frame_idx'],
                time_idx=time_idx, timestamp=frame_info['timestamp'], ego_id=ego_id, agent_ids=agent_ids,
                agent_types=[agent_type_of(a) for a in agent_ids], ego_to_world=ego_to_world,
                agent_lidar_paths=paths, agent_poses=poses, agent_frame_valid=valid, agent_num_points=num_points,
                cooperator_delay=self.cooperator_delay,
                history_frames=self.history_frames, future_frames=self.future_frames,
                frame_interval=self.frame_interval)
            if object_tracks is not None:
                sample['instances'] = self._instances(frame_info, time_idx, set(agent_ids), object_tracks)
            samples.append(sample)
        return samples

    def _instances(self, frame_info: dict, time_idx: int, agent_ids: set,
                   object_tracks: Dict[int, Dict[int, np.ndarray]]) -> dict:
        """World-frame raw labels of one sample: objects at t0 (visibility rule) with past/future centres."""
        keep = [obj for obj in frame_info['objects']
                if self.label_visibility == 'all' or agent_ids.intersection(obj['seen_by'])]
        num = len(keep)
        past_slots = self._history_slots(time_idx)
        future_slots = [time_idx + (k + 1) * self.frame_interval for k in range(self.future_frames)]
        past = np.zeros((num, len(past_slots), 3))
        past_mask = np.zeros((num, len(past_slots)), dtype=bool)
        future = np.zeros((num, len(future_slots), 3))
        future_mask = np.zeros((num, len(future_slots)), dtype=bool)
        for i, obj in enumerate(keep):
            for slots, centres, mask in ((past_slots, past, past_mask), (future_slots, future, future_mask)):
                for k, slot in enumerate(slots):
                    box = object_tracks.get(slot, {}).get(obj['obj_id'])
                    if box is not None:
                        centres[i, k] = box[:3]
                        mask[i, k] = True
        return dict(obj_ids=np.array([o['obj_id'] for o in keep], dtype=np.int64),
                    obj_types=[o['obj_type'] for o in keep],
                    boxes_world=np.array([o['box_world'] for o in keep], dtype=np.float64).reshape(num, 7),
                    past_world=past, past_mask=past_mask, future_world=future, future_mask=future_mask)

    # ----------------------------------------------------------------------------------------------------------
    # Det3DDataset hooks
    # ----------------------------------------------------------------------------------------------------------
    def parse_data_info(self, info: dict) -> dict:
        """Absolute point paths; ``ann_info`` (train) / ``eval_ann_info`` (test) in the ego frame at t0."""
        prefix = self.data_prefix.get('pts', '')
        info['agent_lidar_paths'] = [[None if p is None else _join(prefix, p) for p in row]
                                     for row in info['agent_lidar_paths']]
        info['lidar_path'] = info['agent_lidar_paths'][0][-1]
        info['num_pts_feats'] = 4
        if self.load_labels:
            if not self.test_mode:
                info['ann_info'] = self.parse_ann_info(info)
            elif self.load_eval_anns:
                info['eval_ann_info'] = self.parse_ann_info(info)
        info.pop('instances', None)
        return info

    def parse_ann_info(self, info: dict) -> dict:
        """World-frame ``instances`` → labels in the ego frame at t0.

        Returns dict(gt_bboxes_3d=LiDARInstance3DBoxes (N, 7) bottom centre, gt_labels_3d (N,) int64,
        gt_future_traj (N, F, 2) float32, gt_future_mask (N, F) bool, gt_past_traj (N, H, 2) float32,
        gt_past_mask (N, H) bool, gt_obj_ids (N,) int64). Objects whose class is not in ``classes`` are left out.
        """
        instances = info['instances']
        classes = list(self._metainfo['classes'])  # not self.metainfo: that property deep-copies
        mapping = self._metainfo['obj_type_to_class']
        labels = []
        for obj_type in instances['obj_types']:
            class_name = mapping.get(obj_type)
            if class_name is None:
                self._unknown_obj_types[obj_type] += 1
            labels.append(classes.index(class_name) if class_name in classes else -1)
        labels = np.array(labels, dtype=np.int64)
        keep = labels >= 0
        world_to_ego = np.linalg.inv(info['ego_to_world'])
        boxes = boxes_world_to_frame(instances['boxes_world'][keep], world_to_ego)
        future = centres_world_to_frame(instances['future_world'][keep], world_to_ego)[..., :2]
        past = centres_world_to_frame(instances['past_world'][keep], world_to_ego)[..., :2]
        future_mask, past_mask = instances['future_mask'][keep], instances['past_mask'][keep]
        future[~future_mask] = 0.0
        past[~past_mask] = 0.0
        for label in labels[keep]:
            self.num_ins_per_cat[label] += 1
        return dict(
            gt_bboxes_3d=LiDARInstance3DBoxes(boxes.astype(np.float32), box_dim=7, origin=(0.5, 0.5, 0.5)),
            gt_labels_3d=labels[keep],
            gt_future_traj=future.astype(np.float32), gt_future_mask=future_mask.copy(),
            gt_past_traj=past.astype(np.float32), gt_past_mask=past_mask.copy(),
            gt_obj_ids=instances['obj_ids'][keep])

    def get_cat_ids(self, idx: int) -> List[int]:
        """Labels present in sample ``idx`` (for class-balanced wrappers); [] when labels are not loaded."""
        info = self.get_data_info(idx)
        ann = info.get('ann_info') or info.get('eval_ann_info')
        return [] if ann is None else sorted(set(int(v) for v in ann['gt_labels_3d']))

    def __getitem__(self, idx: int) -> dict:
        """As mmengine's; an index from :class:`SeededSampler` (it carries ``seed``) runs the pipeline, and any
        re-draw of a refused sample, with numpy/``random`` seeded from it, so augmentation depends only on
        (seed, epoch, index): identical after ``--resume`` and for any number of dataloader workers."""
        seed = getattr(idx, 'seed', None)
        if seed is None:
            return super().__getitem__(idx)
        with seeded_global_rngs(seed):
            return super().__getitem__(int(idx))

    def prepare_data(self, index: int) -> Optional[dict]:
        """Run the pipeline on sample ``index``; with ``filter_empty_gt`` a label-free training sample gives None."""
        input_dict = self.get_data_info(index)  # already a private copy (unpickled or deep-copied by mmengine)
        input_dict['box_type_3d'] = self.box_type_3d
        input_dict['box_mode_3d'] = self.box_mode_3d
        check_empty = self.load_labels and not self.test_mode and self.filter_empty_gt
        if check_empty and len(input_dict['ann_info']['gt_labels_3d']) == 0:
            return None
        example = self.pipeline(input_dict)
        if check_empty and (example is None or len(example['data_samples'].gt_instances_3d.labels_3d) == 0):
            return None
        return example


def _join(prefix: str, path: str) -> str:
    return osp.join(prefix, path) if prefix else path


__all__: Sequence[str] = ['V2XPnPSeqDataset', 'COLLABORATION_MODES', 'agent_type_of', 'boxes_world_to_frame',
                          'centres_world_to_frame']
