"""Dense trajectory head: future waypoints of the object centred in each BEV cell."""
from typing import Dict, List, Sequence, Tuple

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample


@MODELS.register_module()
class TrajectoryHead(BaseModule):
    """Predict ``F`` future (x, y) waypoints per BEV cell as offsets from the object's current centre.

    The map is the fused ego BEV at t0; cell ``(row, col)`` covers ``x ∈ [x_min + col·s_x, …)``,
    ``y ∈ [y_min + row·s_y, …)`` with ``s = range / map size`` (the cell the ``CenterHead`` uses for a box centre).
    Training: at the cell under each ground-truth box centre (``bboxes_3d.gravity_center[:, :2]``, ego frame at t0)
    the prediction is regressed to ``future_traj - centre`` for the valid steps (``future_mask``).
    Prediction: for every detected box, the offsets of the cell under its centre are added to that centre, giving
    ``pred_instances_3d.trajs`` ``(N, F, 2)`` absolute ego-frame-at-t0 positions.

    Args:
        in_channels (int): channels of the BEV map.
        num_future (int): ``F`` future frames.
        point_cloud_range (Sequence[float]): metric extent of the BEV map (ego frame at t0).
        feat_channels (int): channels of the hidden conv layers.
        num_convs (int): 3×3 conv + norm + ReLU layers before the 1×1 output conv.
        norm_cfg (dict): norm config of the hidden layers.
        loss_traj (dict): an mmdet regression loss taking ``(pred, target, weight, avg_factor)``.
    """

    def __init__(self,
                 in_channels: int,
                 num_future: int,
                 point_cloud_range: Sequence[float],
                 feat_channels: int = 64,
                 num_convs: int = 2,
                 norm_cfg: dict = dict(type='BN2d'),
                 loss_traj: dict = dict(type='mmdet.SmoothL1Loss', beta=1.0, loss_weight=1.0),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_future = num_future
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        layers = []
        channels = in_channels
        for _ in range(num_convs):
            layers.append(
                ConvModule(channels, feat_channels, 3, padding=1, norm_cfg=norm_cfg, bias=False))
            channels = feat_channels
        self.convs = nn.Sequential(*layers)
        self.out_conv = nn.Conv2d(channels, num_future * 2, 1)
        nn.init.zeros_(self.out_conv.weight)
        nn.init.zeros_(self.out_conv.bias)
        self.loss_traj = MODELS.build(loss_traj)

    def forward(self, bev: Tensor) -> Tensor:
        """``bev (B, C, H, W)`` → offsets ``(B, F·2, H, W)`` in metres (step-major: ``[dx_1, dy_1, dx_2, …]``)."""
        return self.out_conv(self.convs(bev))

    def centre_cells(self, centres: Tensor, height: int, width: int) -> Tuple[Tensor, Tensor, Tensor]:
        """Cell of metric ``centres (N, 2)`` (ego frame at t0) → ``row (N,)``, ``col (N,)``, ``inside (N,)``."""
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        col = ((centres[:, 0] - x_min) / ((x_max - x_min) / width)).floor().long()
        row = ((centres[:, 1] - y_min) / ((y_max - y_min) / height)).floor().long()
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        return row.clamp(0, height - 1), col.clamp(0, width - 1), inside

    def offsets_at(self, offset_map: Tensor, centres: Tensor) -> Tuple[Tensor, Tensor]:
        """Offsets ``(N, F, 2)`` of one sample's map ``(F·2, H, W)`` at the cells of ``centres (N, 2)``."""
        _, height, width = offset_map.shape
        row, col, inside = self.centre_cells(centres, height, width)
        offsets = offset_map[:, row, col].t().reshape(-1, self.num_future, 2)
        return offsets, inside

    def loss(self, bev: Tensor, batch_data_samples: List[Det3DDataSample]) -> Dict[str, Tensor]:
        """Regression loss at the ground-truth centre cells over the valid future steps → ``dict(loss_traj)``."""
        offset_map = self(bev)
        predicted, targets, weights = [], [], []
        for sample_map, data_sample in zip(offset_map, batch_data_samples):
            gt = data_sample.gt_instances_3d
            if len(gt) == 0:
                continue
            centres = gt.bboxes_3d.gravity_center[:, :2].to(bev.device)
            offsets, inside = self.offsets_at(sample_map, centres)
            future = gt.future_traj.to(bev.device, bev.dtype)[:, :self.num_future]
            mask = gt.future_mask.to(bev.device)[:, :self.num_future].bool() & inside[:, None]
            predicted.append(offsets)
            targets.append(future - centres[:, None, :])
            weights.append(mask[..., None].expand(-1, -1, 2).to(bev.dtype))
        if not predicted:
            return dict(loss_traj=offset_map.sum() * 0.0)
        weights = torch.cat(weights)
        loss = self.loss_traj(
            torch.cat(predicted), torch.cat(targets), weights,
            avg_factor=weights.sum().clamp(min=1.0))
        return dict(loss_traj=loss)

    def predict(self, bev: Tensor, results_list: List[InstanceData]) -> List[InstanceData]:
        """Attach ``trajs (N, F, 2)`` (absolute, ego frame at t0) to each sample's detections."""
        offset_map = self(bev)
        for sample_map, results in zip(offset_map, results_list):
            centres = results.bboxes_3d.gravity_center[:, :2].to(bev.device)
            offsets, _ = self.offsets_at(sample_map, centres)
            results.trajs = centres[:, None, :] + offsets
        return results_list
