"""Reconstruction head on the fused ego BEV map: per-cell occupancy logit and K points inside the cell.

Dropped at fine-tuning; only the trunk is transferred.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS


@MODELS.register_module()
class BEVReconstructionHead(BaseModule):
    """conv3×3 + BN + ReLU, then a 1×1 conv to ``1 + 3K`` channels per ego cell.

    Channel 0 is the occupancy logit; channels ``1 + 3k … 3 + 3k`` parametrise point k. Points are decoded as
    offsets (m) from the cell's reference point ``(x_centre, y_centre, z_mid)`` (``z_mid`` = middle of the z range):
    ``dx, dy = tanh(raw) · cell_size / 2`` and ``dz = tanh(raw) · (z_max - z_min) / 2``, so a predicted point
    always lies inside its cell's column within the point-cloud range. Frame: ego frame at t0.

    Args:
        in_channels: C of the fused BEV map.
        feat_channels: channels of the 3×3 conv.
        num_points: K points predicted per cell.
        point_cloud_range: ``[x_min, y_min, z_min, x_max, y_max, z_max]`` of the ego grid (gives the z span).
        conv_cfg, norm_cfg, act_cfg: of the 3×3 ``ConvModule``.
        occupancy_prior: initial probability of the occupancy logit (bias init), or None for the default init.
    """

    def __init__(self,
                 in_channels: int,
                 point_cloud_range: Sequence[float],
                 feat_channels: int = 128,
                 num_points: int = 20,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN2d', eps=1e-3, momentum=0.01),
                 act_cfg: dict = dict(type='ReLU'),
                 occupancy_prior: Optional[float] = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_points = int(num_points)
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        self.occupancy_prior = occupancy_prior
        self.conv = ConvModule(in_channels, feat_channels, 3, padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)
        self.out = nn.Conv2d(feat_channels, 1 + 3 * self.num_points, 1)

    def init_weights(self) -> None:
        super().init_weights()
        if self.occupancy_prior is not None:
            prior = float(self.occupancy_prior)
            with torch.no_grad():
                self.out.bias[0] = float(torch.logit(torch.tensor(prior)))

    def forward(self, bev: Tensor) -> Dict[str, Tensor]:
        """Args: bev ``(B, C, Hb, Wb)`` fused ego BEV (ego frame at t0).

        Returns:
            dict(occupancy=``(B, Hb, Wb)`` logits, points=``(B, 3K, Hb, Wb)`` raw point parameters).
        """
        out = self.out(self.conv(bev))
        return dict(occupancy=out[:, 0], points=out[:, 1:])

    def cell_size(self, grid_shape: Sequence[int]) -> Tuple[float, float]:
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        return ((x_max - x_min) / grid_shape[1], (y_max - y_min) / grid_shape[0])

    def decode_points(self, raw_points: Tensor, cell_index: Tensor) -> Tensor:
        """Predicted points of selected cells as offsets (m) from their reference points.

        Args:
            raw_points: ``(B, 3K, Hb, Wb)`` from :meth:`forward`.
            cell_index: ``(M, 3)`` int64 ``(b, iy, ix)``.

        Returns:
            ``(M, K, 3)`` offsets, ego frame at t0.
        """
        grid_shape = raw_points.shape[-2:]
        sx, sy = self.cell_size(grid_shape)
        half_z = 0.5 * (self.point_cloud_range[5] - self.point_cloud_range[2])
        raw = raw_points[cell_index[:, 0], :, cell_index[:, 1], cell_index[:, 2]]  # (M, 3K)
        raw = raw.view(-1, self.num_points, 3)
        scale = raw.new_tensor([0.5 * sx, 0.5 * sy, half_z])
        return torch.tanh(raw) * scale
