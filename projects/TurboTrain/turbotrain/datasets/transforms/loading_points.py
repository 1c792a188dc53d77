"""Load every agent's history point clouds of a cooperative sample (docs/contract.md, "Packed sample").

Input keys (from ``V2XPnPSeqDataset``): ``agent_lidar_paths`` (A lists of H paths or ``None``),
``agent_frame_valid`` (A, H) bool, ``agent_poses`` (A, H, 4, 4) ``M[a,t]``: agent-frame-at-t → ego-frame-at-t0.
Output keys: ``coop_points`` — list of A·H float32 arrays (N_i, 4) ``[x, y, z, intensity]``, agent-major
(``index = a·H + t``), each in **agent a's frame at its frame t**; ``coop_points_frame = 'agent'``.

A missing agent-frame gives an empty (0, 4) array. A file that cannot be read now (although the converter accepted
it) is handled by ``on_error``: ``'empty'`` (default) logs one warning naming the file and the reason, treats the
agent-frame as missing (empty cloud, valid False, M = I) and records the message in ``coop_load_errors`` — so a bad
file never kills a DataLoader worker; ``'raise'`` raises :class:`LidarReadError`.
"""
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.logging import print_log

from mmdet3d.registry import TRANSFORMS

from ..lidar_io import LidarReadError, read_lidar

_WARNED: set = set()


def empty_cloud() -> np.ndarray:
    """(0, 4) float32."""
    return np.zeros((0, 4), dtype=np.float32)


@TRANSFORMS.register_module()
class LoadCoopPoints(BaseTransform):
    """Read the (A, H) agent-frame clouds; each stays in its own agent frame at its own time.

    Args:
        on_error: 'empty' (default) or 'raise' for files that fail to load.
    """

    def __init__(self, on_error: str = 'empty') -> None:
        if on_error not in ('empty', 'raise'):
            raise ValueError(f"on_error must be 'empty' or 'raise', got {on_error!r}")
        self.on_error = on_error

    def transform(self, results: dict) -> dict:
        paths = results['agent_lidar_paths']
        valid = np.array(results['agent_frame_valid'], dtype=bool, copy=True)
        poses = np.array(results['agent_poses'], dtype=np.float64, copy=True)
        clouds: List[np.ndarray] = []
        errors: List[str] = []
        for a, row in enumerate(paths):
            for t, path in enumerate(row):
                if not valid[a, t] or path is None:
                    valid[a, t] = False
                    clouds.append(empty_cloud())
                    continue
                try:
                    clouds.append(read_lidar(path))
                except LidarReadError as err:
                    if self.on_error == 'raise':
                        raise
                    message = f'{err} (agent {results["agent_ids"][a]}, history slot {t}): loaded as a missing frame'
                    errors.append(message)
                    if err.path not in _WARNED:
                        _WARNED.add(err.path)
                        print_log(message, 'current', level=30)
                    clouds.append(empty_cloud())
                    valid[a, t] = False
                    poses[a, t] = np.eye(4)
        results['coop_points'] = clouds
        results['coop_points_frame'] = 'agent'
        results['agent_frame_valid'] = valid
        results['agent_poses'] = poses
        results['coop_load_errors'] = errors
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(on_error={self.on_error!r})'
