"""Scatter-based (dynamic) pillar encoder in plain torch: points → BEV pseudo-image, no padding, no mmcv op."""
from typing import List, Sequence

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS


@MODELS.register_module()
class ScatterPillarEncoder(BaseModule):
    """PointPillars-style pillar feature net over a flat list of point clouds, written with scatter ops.

    For every point inside ``point_cloud_range`` its pillar (BEV cell of ``voxel_size[:2]``, all heights) is
    found; ``torch.unique`` numbers the occupied pillars of all clouds together; the pillar mean comes from
    ``index_add_``. Each point's feature is ``[x, y, z, intensity…]`` (first ``in_channels`` columns), its offset to
    the pillar mean (``with_cluster_center``) and to the pillar centre (``with_voxel_center``; z centre = middle of
    the z range), i.e. the 10 features of mmdet3d's ``PillarFeatureNet``. Each layer is Linear (no bias) → norm →
    ReLU followed by a per-pillar max (``scatter_reduce('amax')``); a non-final layer concatenates the pillar max
    back to its points. The pillar vectors are written into a zero canvas.

    Unlike hard voxelization, no pillar is padded to a fixed number of points and no point is dropped for a
    per-pillar cap; the cost is linear in the number of points. Runs unchanged on CPU and CUDA.

    Canvas orientation (same as ``PointPillarsScatter`` and ``CenterHead``): ``canvas[n, :, row, col]`` with
    ``col = floor((x - x_min) / voxel_x)``, ``row = floor((y - y_min) / voxel_y)`` in the cloud's own frame.

    Args:
        in_channels (int): raw point features used (4 = x, y, z, intensity).
        feat_channels (Sequence[int]): output width of each layer; the last one is the canvas depth ``C``.
        voxel_size (Sequence[float]): ``[vx, vy, vz]`` (vz unused: pillars span the z range).
        point_cloud_range (Sequence[float]): ``[x_min, y_min, z_min, x_max, y_max, z_max]``; points outside are
            ignored.
        with_cluster_center (bool): add offsets to the pillar mean.
        with_voxel_center (bool): add offsets to the pillar centre.
        norm_cfg (dict): norm layer config (mmcv ``build_norm_layer``).
    """

    def __init__(self,
                 in_channels: int = 4,
                 feat_channels: Sequence[int] = (32, ),
                 voxel_size: Sequence[float] = (0.8, 0.8, 8.0),
                 point_cloud_range: Sequence[float] = (-51.2, -51.2, -5.0, 51.2, 51.2, 3.0),
                 with_cluster_center: bool = True,
                 with_voxel_center: bool = True,
                 norm_cfg: dict = dict(type='BN1d', eps=1e-3, momentum=0.01),
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.with_cluster_center = with_cluster_center
        self.with_voxel_center = with_voxel_center
        self.voxel_size = [float(v) for v in voxel_size]
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        self.nx = int(round((x_max - x_min) / self.voxel_size[0]))
        self.ny = int(round((y_max - y_min) / self.voxel_size[1]))
        point_dim = in_channels + 3 * int(with_cluster_center) + 3 * int(with_voxel_center)
        widths = [point_dim] + list(feat_channels)
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        for index in range(len(feat_channels)):
            in_width = widths[index] if index == 0 else 2 * widths[index]
            self.linears.append(nn.Linear(in_width, widths[index + 1], bias=False))
            self.norms.append(build_norm_layer(norm_cfg, widths[index + 1])[1])
        self.out_channels = widths[-1]

    @property
    def canvas_shape(self) -> List[int]:
        """``[ny, nx]`` = (rows, cols) of the output canvas."""
        return [self.ny, self.nx]

    def forward(self, points: List[Tensor]) -> Tensor:
        """Encode clouds.

        Args:
            points (list[Tensor]): ``N`` clouds ``(n_i, ≥in_channels)`` ``[x, y, z, intensity, …]``, each in its own
                frame (agent-frame-at-t); empty clouds allowed.

        Returns:
            Tensor: ``(N, C, ny, nx)`` BEV canvas per cloud (zero at empty pillars).
        """
        num_clouds = len(points)
        reference = self.linears[0].weight
        if num_clouds == 0:
            return reference.new_zeros(0, self.out_channels, self.ny, self.nx)
        device = reference.device
        sizes = torch.tensor([len(p) for p in points], device=device)
        cloud = torch.repeat_interleave(torch.arange(num_clouds, device=device), sizes)
        flat = torch.cat([p[:, :self.in_channels] for p in points]).to(reference.dtype)
        x_min, y_min, z_min, x_max, y_max, z_max = self.point_cloud_range
        xyz = flat[:, :3]
        inside = ((xyz[:, 0] >= x_min) & (xyz[:, 0] < x_max) & (xyz[:, 1] >= y_min)
                  & (xyz[:, 1] < y_max) & (xyz[:, 2] >= z_min) & (xyz[:, 2] < z_max))
        flat, cloud, xyz = flat[inside], cloud[inside], xyz[inside]
        col = ((xyz[:, 0] - x_min) / self.voxel_size[0]).floor().long().clamp_(0, self.nx - 1)
        row = ((xyz[:, 1] - y_min) / self.voxel_size[1]).floor().long().clamp_(0, self.ny - 1)
        pillar_key = (cloud * self.ny + row) * self.nx + col
        pillar_ids, point_to_pillar, counts = torch.unique(
            pillar_key, return_inverse=True, return_counts=True)
        num_pillars = pillar_ids.numel()

        features = [flat]
        if self.with_cluster_center:
            mean = xyz.new_zeros(num_pillars, 3).index_add_(0, point_to_pillar, xyz)
            mean = mean / counts[:, None].to(xyz.dtype)
            features.append(xyz - mean[point_to_pillar])
        if self.with_voxel_center:
            centre = torch.stack([
                (col.to(xyz.dtype) + 0.5) * self.voxel_size[0] + x_min,
                (row.to(xyz.dtype) + 0.5) * self.voxel_size[1] + y_min,
                xyz.new_full((len(xyz), ), (z_min + z_max) / 2)
            ], dim=1)
            features.append(xyz - centre)
        point_features = torch.cat(features, dim=1)

        for index, (linear, norm) in enumerate(zip(self.linears, self.norms)):
            point_features = torch.relu(norm(linear(point_features)))
            pillar_features = self.pillar_max(point_features, point_to_pillar, num_pillars)
            if index < len(self.linears) - 1:
                point_features = torch.cat(
                    [point_features, pillar_features[point_to_pillar]], dim=1)

        canvas = pillar_features.new_zeros(num_clouds * self.ny * self.nx, self.out_channels)
        canvas = canvas.index_put((pillar_ids, ), pillar_features)
        return canvas.view(num_clouds, self.ny, self.nx, self.out_channels).permute(0, 3, 1, 2)

    @staticmethod
    def pillar_max(point_features: Tensor, point_to_pillar: Tensor, num_pillars: int) -> Tensor:
        """Max over the points of each pillar: ``(n, C)``, ``(n,)`` → ``(num_pillars, C)``."""
        index = point_to_pillar[:, None].expand_as(point_features)
        out = point_features.new_zeros(num_pillars, point_features.shape[1])
        return out.scatter_reduce(0, index, point_features, reduce='amax', include_self=False)
