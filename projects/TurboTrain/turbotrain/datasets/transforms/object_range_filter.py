"""Object range filter: keep labels whose box centre lies in the BEV part of ``point_cloud_range`` (ego frame at
t0), keeping every per-object key aligned; yaw is wrapped to [-π, π).

``apply_to_eval=True`` (default) filters ``eval_ann_info`` the same way, so validation evaluates the objects in
range (V2XPnP: objects in range seen by any agent of the sample; the dataset applies the visibility rule).
"""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS

from .loading_annotations import GT_OBJECT_KEYS


def _filter(container: dict, bev_range: np.ndarray) -> None:
    boxes = container['gt_bboxes_3d']
    keep = boxes.in_range_bev(bev_range).bool()
    for key in GT_OBJECT_KEYS:
        if key in container:
            value = container[key]
            container[key] = value[keep] if key == 'gt_bboxes_3d' else value[keep.numpy()]
    container['gt_bboxes_3d'].limit_yaw(offset=0.5, period=2 * np.pi)


@TRANSFORMS.register_module()
class CoopObjectRangeFilter(BaseTransform):
    """Drop objects whose BEV centre is outside ``point_cloud_range`` [x0, y0, z0, x1, y1, z1]."""

    def __init__(self, point_cloud_range: Sequence[float], apply_to_eval: bool = True) -> None:
        self.point_cloud_range = np.asarray(point_cloud_range, dtype=np.float32)
        self.apply_to_eval = apply_to_eval

    def transform(self, results: dict) -> dict:
        bev_range = self.point_cloud_range[[0, 1, 3, 4]]
        if 'gt_bboxes_3d' in results:
            _filter(results, bev_range)
        if self.apply_to_eval and isinstance(results.get('eval_ann_info'), dict):
            _filter(results['eval_ann_info'], bev_range)
        results['point_cloud_range'] = self.point_cloud_range.tolist()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(point_cloud_range={self.point_cloud_range.tolist()}, '
                f'apply_to_eval={self.apply_to_eval})')
