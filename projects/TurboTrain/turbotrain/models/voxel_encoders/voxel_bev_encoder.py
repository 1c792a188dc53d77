"""Library path: mmcv hard voxelization + an mmdet3d voxel encoder + an mmdet3d middle encoder → BEV canvas."""
from typing import List

import torch
from mmcv.ops import Voxelization
from mmengine.model import BaseModule
from torch import Tensor

from mmdet3d.registry import MODELS


@MODELS.register_module()
class VoxelBEVEncoder(BaseModule):
    """Points → BEV map with OpenMMLab parts, same interface as :class:`ScatterPillarEncoder`.

    ``voxel_layer`` configures ``mmcv.ops.Voxelization`` (hard voxelization: at most ``max_num_points`` per voxel,
    at most ``max_voxels`` voxels per cloud; ``(train, test)`` pairs allowed), ``voxel_encoder`` is an mmdet3d
    voxel encoder (``PillarFeatureNet`` for PointPillars, ``HardSimpleVFE`` for SECOND) and ``middle_encoder`` an
    mmdet3d middle encoder (``PointPillarsScatter``, or ``SparseEncoder`` for the sparse-conv swap; its output
    ``(N, C·D, H, W)`` is returned as is). Voxel coordinates are ``(cloud, z, y, x)``, so the canvas rows index y
    and columns index x, as in every other BEV map of the project.

    Args:
        voxel_layer (dict): kwargs of ``mmcv.ops.Voxelization``.
        voxel_encoder (dict): mmdet3d voxel encoder config.
        middle_encoder (dict): mmdet3d middle encoder config.
    """

    def __init__(self, voxel_layer: dict, voxel_encoder: dict, middle_encoder: dict,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.voxel_layer = Voxelization(**voxel_layer)
        self.voxel_encoder = MODELS.build(voxel_encoder)
        self.middle_encoder = MODELS.build(middle_encoder)

    @torch.no_grad()
    def voxelize(self, points: List[Tensor]):
        """Hard-voxelize each cloud: → voxels ``(V, P, F)``, num_points ``(V,)``, coors ``(V, 4)`` (cloud, z, y, x)."""
        voxels, coors, num_points = [], [], []
        for cloud_index, cloud in enumerate(points):
            if cloud.shape[0] == 0:
                continue
            cloud_voxels, cloud_coors, cloud_counts = self.voxel_layer(cloud.contiguous())
            voxels.append(cloud_voxels)
            coors.append(torch.nn.functional.pad(cloud_coors, (1, 0), value=cloud_index))
            num_points.append(cloud_counts)
        if not voxels:
            reference = points[0] if len(points) else torch.zeros(0, 4)
            max_points = self.voxel_layer.max_num_points
            return (reference.new_zeros(0, max_points, reference.shape[-1] if reference.dim() else 4),
                    reference.new_zeros(0, dtype=torch.int32),
                    reference.new_zeros(0, 4, dtype=torch.int32))
        return torch.cat(voxels), torch.cat(num_points), torch.cat(coors)

    def forward(self, points: List[Tensor]) -> Tensor:
        """``N`` clouds ``(n_i, 4)`` (agent-frame-at-t) → ``(N, C, ny, nx)`` BEV maps."""
        voxels, num_points, coors = self.voxelize(points)
        voxel_features = self.voxel_encoder(voxels, num_points, coors)
        return self.middle_encoder(voxel_features, coors, len(points))
