"""Localisation noise on the cooperators' poses (robustness evaluation, optional training augmentation).

Each cooperator reports its own pose; a localisation error moves and turns its whole view. Applied to
``agent_poses`` ``M[a,t]`` (agent-frame-at-t → ego-frame-at-t0, docs/contract.md) of every valid cooperator
agent-frame (agents a ≥ 1; the ego's own pose is the reference and stays exact):

    M̃[a,t] = [Rz(δψ) · R,  p + (δx, δy, 0)]    for M[a,t] = [R, p],

i.e. the cooperator's LiDAR origin moves by (δx, δy) and its cloud turns by δψ about that origin, with
δx, δy ~ N(0, ``pos_std``²) metres and δψ ~ N(0, ``rot_std``²) degrees. Isotropic x/y noise is the same in
distribution whether drawn in world or in ego axes, so this is the Gaussian pose noise of V2X-ViT / CoAlign /
OpenCOOD (x, y, yaw of the world pose) for level LiDARs.

Reproducibility: with an integer ``seed`` each sample draws from its own generator seeded by ``(seed,
sample_idx)``, so a sample gets the same noise whatever the worker, the batch or the order (evaluation); with
``seed=None`` draws come from numpy's global generator (training augmentation: new noise every epoch, seeded per
worker by mmengine). Zero standard deviations leave every pose bit-for-bit unchanged.

Place it before ``CoopPointsToEgo`` and the ego augmentations (they consume ``agent_poses``), e.g. first in the
pipeline. The draws are kept in ``results['agent_pose_noise']`` ``(A, H, 3)`` = ``[δx (m), δy (m), δψ (rad)]``.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from mmdet3d.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CoopPoseNoise(BaseTransform):
    """Gaussian x/y/yaw noise on the cooperators' poses ``M[a,t]`` (see module docstring).

    Args:
        pos_std: standard deviation of δx and δy, metres.
        rot_std: standard deviation of δψ, degrees.
        seed: per-sample seed base (reproducible evaluation), or None (global generator: augmentation).
        per_frame: True (default): an independent draw for every history frame of a cooperator (each frame is its
            own localisation); False: one draw per cooperator, shared by its history frames.
        noisy_ego: also perturb the ego's own history poses (agent 0, frames t < t0; its pose at t0 is the
            reference frame and stays the identity). Default False.
    """

    def __init__(self, pos_std: float = 0.2, rot_std: float = 0.2, seed: Optional[int] = 0,
                 per_frame: bool = True, noisy_ego: bool = False) -> None:
        if pos_std < 0 or rot_std < 0:
            raise ValueError(f'CoopPoseNoise: standard deviations must be >= 0, got pos_std={pos_std}, '
                             f'rot_std={rot_std}')
        self.pos_std = float(pos_std)
        self.rot_std = float(rot_std)
        self.seed = None if seed is None else int(seed)
        self.per_frame = bool(per_frame)
        self.noisy_ego = bool(noisy_ego)

    def _generator(self, results: dict):
        if self.seed is None:
            return np.random
        if 'sample_idx' not in results:
            raise KeyError('CoopPoseNoise with a seed needs results["sample_idx"] (set by the dataset)')
        return np.random.default_rng([self.seed, int(results['sample_idx'])])

    def transform(self, results: dict) -> dict:
        if results.get('coop_points_frame') == 'ego':
            raise ValueError('CoopPoseNoise must come before CoopPointsToEgo (the clouds are already in the ego '
                             'frame, their poses are gone)')
        poses = np.array(results['agent_poses'], dtype=np.float64, copy=True)  # (A, H, 4, 4)
        num_agents, num_frames = poses.shape[:2]
        noise = np.zeros((num_agents, num_frames, 3))
        if self.pos_std == 0 and self.rot_std == 0:
            results['agent_pose_noise'] = noise
            return results
        rng = self._generator(results)
        draws = rng.standard_normal((num_agents, num_frames if self.per_frame else 1, 3))
        noise[:] = draws * np.array([self.pos_std, self.pos_std, np.radians(self.rot_std)])
        perturbed = np.array(results['agent_frame_valid'], dtype=bool).reshape(num_agents, num_frames).copy()
        if self.noisy_ego:
            perturbed[0, -1] = False  # the reference frame itself
        else:
            perturbed[0] = False
        noise[~perturbed] = 0.0
        cos, sin = np.cos(noise[..., 2]), np.sin(noise[..., 2])
        turn = np.tile(np.eye(3), (num_agents, num_frames, 1, 1))
        turn[..., 0, 0], turn[..., 0, 1], turn[..., 1, 0], turn[..., 1, 1] = cos, -sin, sin, cos
        rotated = turn @ poses[..., :3, :3]
        shifted = poses[..., :2, 3] + noise[..., :2]
        poses[perturbed, :3, :3] = rotated[perturbed]
        poses[perturbed, :2, 3] = shifted[perturbed]
        results['agent_poses'] = poses
        results['agent_pose_noise'] = noise
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(pos_std={self.pos_std}, rot_std={self.rot_std}, seed={self.seed}, '
                f'per_frame={self.per_frame}, noisy_ego={self.noisy_ego})')
