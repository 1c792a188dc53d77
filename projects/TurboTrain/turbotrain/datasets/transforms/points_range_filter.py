"""Per-agent point range filter: each cloud is cropped to ``point_cloud_range`` **in its own frame**.

The contract's BEV grids cover the same range in every agent's own frame, so agent-frame clouds are cropped in
their agent frame; after ``CoopPointsToEgo`` the clouds are in the ego frame at t0 and are cropped there.
"""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CoopPointsRangeFilter(BaseTransform):
    """Keep points with ``min <= xyz < max`` of ``point_cloud_range`` [x0, y0, z0, x1, y1, z1] (metres)."""

    def __init__(self, point_cloud_range: Sequence[float]) -> None:
        self.point_cloud_range = np.asarray(point_cloud_range, dtype=np.float32)
        if self.point_cloud_range.shape != (6,):
            raise ValueError(f'point_cloud_range needs 6 values, got {point_cloud_range}')

    def transform(self, results: dict) -> dict:
        low, high = self.point_cloud_range[:3], self.point_cloud_range[3:]
        clouds = results['coop_points']
        for index, cloud in enumerate(clouds):
            inside = ((cloud[:, :3] >= low) & (cloud[:, :3] < high)).all(axis=1)
            clouds[index] = cloud[inside]
        results['point_cloud_range'] = self.point_cloud_range.tolist()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(point_cloud_range={self.point_cloud_range.tolist()})'
