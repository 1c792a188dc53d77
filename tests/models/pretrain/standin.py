"""Test helpers: a tiny stand-in trunk honouring the trunk contract, a tiny fine-tune model, synthetic inputs."""
import math
from typing import List, Sequence

import torch
from mmengine.model import BaseModel, BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS

RANGE = [-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]  # 20 × 20 columns of 0.8 m
COLUMN = (0.8, 0.8)


@MODELS.register_module(name='StandInTrunk', force=True)
class StandInTrunk(BaseModule):
    """``trunk(inputs) -> dict(bev=(B, C, Hb, Wb))``: point counts of every valid agent-frame, moved to the ego frame
    with ``M[a, t]``, binned in the ego grid, then conv + BN + ReLU. Records the clouds it receives (a spy)."""

    def __init__(self, point_cloud_range: Sequence[float] = RANGE, grid_shape: Sequence[int] = (20, 20),
                 channels: int = 8, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.point_cloud_range = list(point_cloud_range)
        self.grid_shape = tuple(grid_shape)
        self.encoder = nn.Conv2d(1, channels, 1)
        self.fuse = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels)
        self.seen_points: List[Tensor] = []

    def forward(self, inputs: dict) -> dict:
        points = inputs['points']
        poses = inputs['agent_poses']
        B, A, H = poses.shape[:3]
        self.seen_points = list(points)
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        ny, nx = self.grid_shape
        canvas = poses.new_zeros(B, ny * nx)
        valid = inputs['agent_frame_valid'] & inputs['agent_valid'][..., None]
        for b in range(B):
            for a in range(A):
                for t in range(H):
                    if not valid[b, a, t]:
                        continue
                    cloud = points[(b * A + a) * H + t]
                    xyz = cloud[:, :3] @ poses[b, a, t, :3, :3].T + poses[b, a, t, :3, 3]
                    inside = (xyz[:, 0] >= x_min) & (xyz[:, 0] < x_max) & (xyz[:, 1] >= y_min) & (xyz[:, 1] < y_max)
                    xyz = xyz[inside]
                    ix = ((xyz[:, 0] - x_min) / (x_max - x_min) * nx).long().clamp(0, nx - 1)
                    iy = ((xyz[:, 1] - y_min) / (y_max - y_min) * ny).long().clamp(0, ny - 1)
                    canvas[b].index_add_(0, iy * nx + ix, torch.ones_like(ix, dtype=canvas.dtype))
        bev = torch.relu(self.norm(self.fuse(self.encoder(canvas.view(B, 1, ny, nx)))))
        return dict(bev=bev)


@MODELS.register_module(name='StandInFineTune', force=True)
class StandInFineTune(BaseModel):
    """A fine-tune model shape: ``trunk`` + a head, like the detector."""

    def __init__(self, trunk: dict, head_channels: int = 8, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.trunk = MODELS.build(trunk)
        self.head = nn.Conv2d(head_channels, 2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.head(self.trunk(inputs)['bev'])
        return dict(loss=out.square().mean()) if mode == 'loss' else out


def rotation_z(yaw: float, translation=(0.0, 0.0, 0.0)) -> Tensor:
    c, s = math.cos(yaw), math.sin(yaw)
    matrix = torch.eye(4)
    matrix[:2, :2] = torch.tensor([[c, -s], [s, c]])
    matrix[:3, 3] = torch.tensor(translation)
    return matrix


def synthetic_inputs(batch: int = 2, agents: int = 2, history: int = 2, points_per_cloud: int = 400,
                     seed: int = 0) -> dict:
    """Batched model input (contract) with LiDAR-ish clustered clouds; the last agent of sample 1 is padding."""
    gen = torch.Generator().manual_seed(seed)
    poses = torch.eye(4).repeat(batch, agents, history, 1, 1)
    frame_valid = torch.ones(batch, agents, history, dtype=torch.bool)
    agent_valid = torch.ones(batch, agents, dtype=torch.bool)
    if batch > 1 and agents > 1:
        agent_valid[1, -1] = False
        frame_valid[1, -1] = False
    points = []
    for b in range(batch):
        for a in range(agents):
            if a > 0:
                poses[b, a] = rotation_z(0.3 * a, (1.5 * a, -1.0 * a, 0.0))
            for t in range(history):
                if not frame_valid[b, a, t]:
                    points.append(torch.zeros(0, 4))
                    continue
                centres = (torch.rand(12, 2, generator=gen) - 0.5) * 14.0
                which = torch.randint(0, 12, (points_per_cloud, ), generator=gen)
                xy = centres[which] + 0.6 * torch.randn(points_per_cloud, 2, generator=gen)
                z = torch.rand(points_per_cloud, 1, generator=gen) * 3.0 - 2.5
                intensity = torch.rand(points_per_cloud, 1, generator=gen)
                points.append(torch.cat([xy, z, intensity], dim=1))
    return dict(points=points, agent_poses=poses, agent_frame_valid=frame_valid,
                agent_types=torch.zeros(batch, agents, dtype=torch.long), agent_valid=agent_valid)


def mae_config(trunk: dict = None, ratio: float = 0.7, seed: int = 0, channels: int = 8) -> dict:
    """A small ``CoopMAE`` config around ``trunk`` (default: the stand-in)."""
    return dict(
        type='CoopMAE',
        trunk=trunk or dict(type='StandInTrunk', channels=channels),
        recon_head=dict(type='BEVReconstructionHead', in_channels=channels, feat_channels=8, num_points=4,
                        point_cloud_range=RANGE),
        masking=dict(type='BEVColumnMasking', point_cloud_range=RANGE, column_size=COLUMN, ratio=ratio,
                     seed=seed),
        target_builder=dict(type='ReconstructionTargetBuilder', point_cloud_range=RANGE, max_points_per_cell=16),
        loss_chamfer=dict(type='ChamferLoss', loss_weight=1.0),
        loss_occupancy=dict(type='OccupancyLoss', loss_weight=1.0))
