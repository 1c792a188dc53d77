"""Trajectory head that learns each object's velocity and, optionally, a residual over constant velocity."""
import math
from typing import Dict, List, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from .motion_targets import velocity_targets
from .trajectory_head import TrajectoryHead


@MODELS.register_module()
class MotionTrajectoryHead(TrajectoryHead):
    """Per BEV cell: a velocity ``v`` (metres per step Δ, ego frame at t0) and, with ``residual=True``, ``F`` (x, y)
    corrections ``r_k`` over its constant-velocity extrapolation; waypoint ``k`` (1..F) = ``c + k·v + r_k``.

    The velocity is regressed at each ground-truth centre cell to :func:`velocity_targets` (the least-squares
    constant velocity of the annotated future; the past where no future step is annotated). The residual is
    regressed to ``future - c - k·v̂`` with the head's own velocity ``v̂`` detached, so the velocity is trained by its
    own loss alone and ``c + k·v̂`` stays an honest constant-velocity baseline from the model's outputs (the
    metric's ``'detected_velocity'`` source). Prediction attaches ``velocities (N, 2)`` and ``trajs (N, F, 2)``
    (absolute) to each detection, read at the cell under its centre (cells as :class:`TrajectoryHead`).

    Multi-modal (``num_modes = K > 1``): ``K`` residuals and ``K`` mode logits per cell. Training is
    winner-takes-all: only the mode closest to the annotated future (mean distance over its valid steps) gets the
    waypoint loss, and the logits are trained by cross-entropy to pick that mode. Prediction adds ``traj_modes
    (N, K, F, 2)`` and ``traj_mode_scores (N, K)`` (softmax); ``trajs`` is the most likely mode. The residual biases
    start spread over a circle of ``mode_init_radius`` metres at the last step (mode ``m`` at angle ``2πm/K``,
    growing linearly with the step) so that the modes differ from the first update.

    Args:
        residual (bool): learn the corrections (False: trajectories are the constant-velocity extrapolation).
        num_modes (int): K trajectories per detection (needs ``residual``).
        mode_init_radius (float): see above (metres).
        loss_vel (dict): mmdet regression loss of the velocity.
        loss_mode (dict): mmdet classification loss of the mode logits (K > 1).
        Others: as :class:`TrajectoryHead` (``loss_traj`` is the loss of the residual waypoints).
    """

    def __init__(self,
                 in_channels: int,
                 num_future: int,
                 point_cloud_range: Sequence[float],
                 residual: bool = True,
                 num_modes: int = 1,
                 mode_init_radius: float = 1.0,
                 loss_vel: dict = dict(type='mmdet.SmoothL1Loss', beta=0.1, loss_weight=1.0),
                 loss_mode: dict = dict(type='mmdet.CrossEntropyLoss', loss_weight=0.1),
                 **kwargs) -> None:
        super().__init__(in_channels, num_future, point_cloud_range, **kwargs)
        if num_modes < 1 or (num_modes > 1 and not residual):
            raise ValueError(f'MotionTrajectoryHead: num_modes must be >= 1 and needs residual=True, got '
                             f'num_modes={num_modes}, residual={residual}')
        self.residual = residual
        self.num_modes = num_modes
        residual_channels = 2 * num_future * num_modes if residual else 0
        score_channels = num_modes if num_modes > 1 else 0
        self.out_conv = nn.Conv2d(self.out_conv.in_channels, 2 + residual_channels + score_channels, 1)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)
        if num_modes > 1:
            angles = torch.arange(num_modes, dtype=torch.float32) * (2 * math.pi / num_modes)
            ends = mode_init_radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (K, 2)
            ramp = torch.arange(1, num_future + 1, dtype=torch.float32) / num_future  # (F,)
            with torch.no_grad():
                self.out_conv.bias[2:2 + residual_channels] = (ends[:, None, :] * ramp[None, :, None]).flatten()
        self.loss_vel = MODELS.build(loss_vel)
        self.loss_mode = MODELS.build(loss_mode) if num_modes > 1 else None

    def forward(self, bev: Tensor) -> Tensor:
        """``bev (B, C, H, W)`` → ``(B, 2 [+ K·F·2 [+ K]], H, W)``: ``[vx, vy]`` (m per Δ), then the residuals mode
        by mode (``[rx_1, ry_1, rx_2, …]``), then the K mode logits."""
        return self.out_conv(self.convs(bev))

    def motion_at(self, motion_map: Tensor, centres: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """One sample's map at the cells of ``centres (N, 2)`` → velocity ``(N, 2)``, residuals ``(N, K, F, 2)``
        (zeros without ``residual``), mode logits ``(N, K)`` (zeros for K = 1), ``inside (N,)``."""
        _, height, width = motion_map.shape
        row, col, inside = self.centre_cells(centres, height, width)
        cells = motion_map[:, row, col].t()  # (N, channels)
        num, modes, steps = len(cells), self.num_modes, self.num_future
        velocity = cells[:, :2]
        if self.residual:
            residual = cells[:, 2:2 + modes * steps * 2].reshape(num, modes, steps, 2)
        else:
            residual = cells.new_zeros(num, 1, steps, 2)
        logits = cells[:, 2 + modes * steps * 2:] if modes > 1 else cells.new_zeros(num, 1)
        return velocity, residual, logits, inside

    def extrapolate(self, centres: Tensor, velocity: Tensor) -> Tensor:
        """Constant-velocity waypoints ``c + k·v`` ``(N, F, 2)``, k = 1..F."""
        steps = torch.arange(1, self.num_future + 1, device=centres.device, dtype=centres.dtype)
        return centres[:, None, :] + steps[None, :, None] * velocity[:, None, :]

    def loss(self, bev: Tensor, batch_data_samples: List[Det3DDataSample]) -> Dict[str, Tensor]:
        """Velocity loss, (with ``residual``) waypoint loss and (K > 1) mode loss at the ground-truth centre cells →
        ``dict(loss_vel[, loss_traj[, loss_mode]])``."""
        motion_map = self(bev)
        velocities, vel_targets, vel_weights = [], [], []
        waypoints, targets, weights, logits_all, best_modes = [], [], [], [], []
        for sample_map, data_sample in zip(motion_map, batch_data_samples):
            gt = data_sample.gt_instances_3d
            if len(gt) == 0:
                continue
            centres = gt.bboxes_3d.gravity_center[:, :2].to(bev.device, bev.dtype)
            velocity, residual, logits, inside = self.motion_at(sample_map, centres)
            future = gt.future_traj.to(bev.device, bev.dtype)[:, :self.num_future]
            future_mask = gt.future_mask.to(bev.device)[:, :self.num_future].bool()
            target, valid = velocity_targets(centres, future, future_mask, gt.past_traj.to(bev.device, bev.dtype),
                                             gt.past_mask.to(bev.device))
            velocities.append(velocity)
            vel_targets.append(target)
            vel_weights.append((valid & inside)[:, None].expand(-1, 2).to(bev.dtype))
            modes = self.extrapolate(centres, velocity.detach())[:, None] + residual  # (N, K, F, 2)
            step_mask = future_mask & inside[:, None]
            best = self.closest_mode(modes.detach(), future, step_mask)
            waypoints.append(modes[torch.arange(len(modes), device=bev.device), best])
            targets.append(future)
            weights.append(step_mask[..., None].expand(-1, -1, 2).to(bev.dtype))
            has_future = step_mask.any(dim=1)
            logits_all.append(logits[has_future])
            best_modes.append(best[has_future])
        zero = motion_map.sum() * 0.0
        names = ['loss_vel'] + (['loss_traj'] if self.residual else []) + (['loss_mode'] if self.num_modes > 1 else [])
        if not velocities:
            return {name: zero for name in names}
        vel_weights = torch.cat(vel_weights)
        losses = dict(loss_vel=self.loss_vel(torch.cat(velocities), torch.cat(vel_targets), vel_weights,
                                             avg_factor=vel_weights.sum().clamp(min=1.0)))
        if self.residual:
            weights = torch.cat(weights)
            losses['loss_traj'] = self.loss_traj(torch.cat(waypoints), torch.cat(targets), weights,
                                                 avg_factor=weights.sum().clamp(min=1.0))
        if self.num_modes > 1:
            logits, best = torch.cat(logits_all), torch.cat(best_modes)
            losses['loss_mode'] = self.loss_mode(logits, best) if len(best) else zero
        return losses

    @staticmethod
    def closest_mode(modes: Tensor, future: Tensor, mask: Tensor) -> Tensor:
        """Index ``(N,)`` of the mode of ``modes (N, K, F, 2)`` with the smallest mean distance to ``future (N, F,
        2)`` over the valid steps ``mask (N, F)`` (mode 0 where no step is valid)."""
        distance = (modes - future[:, None]).norm(dim=-1)  # (N, K, F)
        mean = (distance * mask[:, None].to(distance.dtype)).sum(dim=-1) / mask.sum(dim=-1).clamp(min=1)[:, None]
        return mean.argmin(dim=1)

    def predict(self, bev: Tensor, results_list: List[InstanceData]) -> List[InstanceData]:
        """Attach ``velocities (N, 2)`` (m per Δ), ``trajs (N, F, 2)`` (absolute, ego frame at t0) and, for K > 1,
        ``traj_modes (N, K, F, 2)`` and ``traj_mode_scores (N, K)``."""
        motion_map = self(bev)
        for sample_map, results in zip(motion_map, results_list):
            centres = results.bboxes_3d.gravity_center[:, :2].to(bev.device, bev.dtype)
            velocity, residual, logits, _ = self.motion_at(sample_map, centres)
            modes = self.extrapolate(centres, velocity)[:, None] + residual
            results.velocities = velocity
            if self.num_modes > 1:
                scores = logits.softmax(dim=1)
                results.traj_modes = modes
                results.traj_mode_scores = scores
                results.trajs = modes[torch.arange(len(modes), device=bev.device), scores.argmax(dim=1)]
            else:
                results.trajs = modes[:, 0]
        return results_list
