"""Pack a cooperative sample into model inputs + ``Det3DDataSample`` (docs/contract.md, "Packed sample").

Output:
- ``inputs['points']``: list of A·H float32 tensors (N_i, 4), agent-major (``index = a·H + t``), each in agent a's
  frame at its frame t (or in the ego frame at t0 after ``CoopPointsToEgo``; then every M is I).
- ``inputs['agent_poses']`` (A, H, 4, 4) float32 ``M[a,t]``: agent-frame-at-t → ego-frame-at-t0 (I where missing).
- ``inputs['agent_frame_valid']`` (A, H) bool; ``inputs['agent_types']`` (A,) int64 (0 vehicle, 1 infrastructure).
- ``data_samples``: ``gt_instances_3d`` with ``bboxes_3d`` (LiDARInstance3DBoxes, ego frame at t0), ``labels_3d``,
  ``future_traj`` (N, F, 2), ``future_mask`` (N, F), ``past_traj`` (N, H, 2), ``past_mask`` (N, H), ``obj_ids``
  (empty when no labels were loaded); metainfo (see ``META_KEYS``); ``eval_ann_info`` (numpy, or None).
"""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData

from mmdet3d.registry import TRANSFORMS
from mmdet3d.structures import Det3DDataSample

#: results key → gt_instances_3d field
GT_FIELDS = dict(gt_bboxes_3d='bboxes_3d', gt_labels_3d='labels_3d', gt_future_traj='future_traj',
                 gt_future_mask='future_mask', gt_past_traj='past_traj', gt_past_mask='past_mask',
                 gt_obj_ids='obj_ids')
META_KEYS = ('sample_idx', 'scenario', 'frame', 'frame_idx', 'timestamp', 'ego_id', 'agent_ids', 'agent_types',
             'num_agents', 'history_frames', 'future_frames', 'frame_interval', 'point_cloud_range', 'box_type_3d',
             'ego_aug_matrix', 'coop_points_frame', 'lidar_path', 'pcd_horizontal_flip', 'pcd_vertical_flip',
             'pcd_rotation_angle', 'pcd_scale_factor')
EVAL_KEYS = ('gt_bboxes_3d', 'gt_labels_3d', 'gt_future_traj', 'gt_future_mask', 'gt_past_traj', 'gt_past_mask',
             'gt_obj_ids')


def _to_tensor(value, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.to(dtype)
    return torch.from_numpy(np.ascontiguousarray(value)).to(dtype)


_DTYPES = dict(labels_3d=torch.int64, future_traj=torch.float32, future_mask=torch.bool,
               past_traj=torch.float32, past_mask=torch.bool, obj_ids=torch.int64)


@TRANSFORMS.register_module()
class PackCoopInputs(BaseTransform):
    """Build ``dict(inputs=..., data_samples=Det3DDataSample)`` for one (ego, t0) sample.

    Args:
        point_cloud_range: written to metainfo when no range filter set ``point_cloud_range``.
        meta_keys: results keys copied into the data sample's metainfo when present.
    """

    def __init__(self, point_cloud_range: Sequence[float] = None, meta_keys: Sequence[str] = META_KEYS) -> None:
        self.point_cloud_range = None if point_cloud_range is None else [float(v) for v in point_cloud_range]
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        num_agents = len(results['agent_ids'])
        history = int(results['history_frames'])
        clouds = results['coop_points']
        if len(clouds) != num_agents * history:
            raise ValueError(f'expected {num_agents}x{history} clouds, got {len(clouds)}')
        inputs = dict(
            points=[_to_tensor(cloud, torch.float32) for cloud in clouds],
            agent_poses=_to_tensor(np.asarray(results['agent_poses'], dtype=np.float32), torch.float32),
            agent_frame_valid=_to_tensor(np.asarray(results['agent_frame_valid'], dtype=bool), torch.bool),
            agent_types=torch.as_tensor(results['agent_types'], dtype=torch.int64))

        data_sample = Det3DDataSample()
        gt_instances_3d = InstanceData()
        for key, name in GT_FIELDS.items():
            if key not in results:
                continue
            value = results[key]
            gt_instances_3d[name] = value if key == 'gt_bboxes_3d' else _to_tensor(value, _DTYPES[name])
        data_sample.gt_instances_3d = gt_instances_3d

        results.setdefault('num_agents', num_agents)
        results.setdefault('ego_aug_matrix', np.eye(4))
        if 'point_cloud_range' not in results and self.point_cloud_range is not None:
            results['point_cloud_range'] = self.point_cloud_range
        data_sample.set_metainfo({key: results[key] for key in self.meta_keys if key in results})

        eval_ann = results.get('eval_ann_info')
        if isinstance(eval_ann, dict):
            data_sample.eval_ann_info = {
                key: (eval_ann[key] if key == 'gt_bboxes_3d' or not isinstance(eval_ann[key], torch.Tensor)
                      else eval_ann[key].numpy())
                for key in EVAL_KEYS if key in eval_ann}
        else:
            data_sample.eval_ann_info = None
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(point_cloud_range={self.point_cloud_range})'
