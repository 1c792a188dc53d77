"""Early fusion: move every agent-frame cloud into the ego frame at t0 with ``M[a,t]``.

After this transform ``coop_points[a·H + t]`` is in the **ego frame at t0**, ``agent_poses`` is the identity for
every slot (the points no longer need a warp) and ``coop_points_frame = 'ego'``. Augmentations then transform the
points themselves (see ``ego_augmentation``). Use it before augmentation; without it clouds stay in agent frames.
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS

from ...utils.geometry import transform_points


@TRANSFORMS.register_module()
class CoopPointsToEgo(BaseTransform):
    """Transform each agent-frame cloud with its ``M[a,t]`` into the ego frame at t0; set ``M = I``."""

    def transform(self, results: dict) -> dict:
        if results.get('coop_points_frame') == 'ego':
            return results
        poses = np.asarray(results['agent_poses'], dtype=np.float64)
        num_slots = poses.shape[1]
        clouds = results['coop_points']
        for index, cloud in enumerate(clouds):
            if len(cloud):
                clouds[index] = transform_points(cloud, poses[index // num_slots, index % num_slots]).astype(
                    np.float32)
        results['agent_poses'] = np.tile(np.eye(4), poses.shape[:2] + (1, 1))
        results['coop_points_frame'] = 'ego'
        return results
