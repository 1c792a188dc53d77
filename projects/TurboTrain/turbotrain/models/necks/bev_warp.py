"""Warping of BEV feature maps from an agent's frame at t into the ego frame at t0.

Grid convention (shared by ``ScatterPillarEncoder``, mmdet3d's ``PointPillarsScatter`` and ``CenterHead``):

* a BEV map ``F`` of shape ``(C, H, W)`` covers ``point_cloud_range = [x_min, y_min, z_min, x_max, y_max, z_max]``
  of its own frame; **rows index y, columns index x**, both increasing: cell ``(row i, col j)`` covers
  ``x ∈ [x_min + j·s_x, x_min + (j+1)·s_x)``, ``y ∈ [y_min + i·s_y, y_min + (i+1)·s_y)`` with
  ``s_x = (x_max - x_min) / W``, ``s_y = (y_max - y_min) / H``. (CenterHead's target index is ``row·W + col``.)
* ``torch.nn.functional.grid_sample`` / ``affine_grid`` with ``align_corners=False`` use normalised coordinates
  ``(u, v) ∈ [-1, 1]²`` where ``u`` runs along the columns (x) and ``v`` along the rows (y), ``-1`` being the outer
  edge of the first cell and ``+1`` the outer edge of the last one. Hence, for metric ``(x, y)`` in the map's frame::

      u = 2 (x - x_min) / (x_max - x_min) - 1,      v = 2 (y - y_min) / (y_max - y_min) - 1
      x = c_x + h_x · u,  y = c_y + h_y · v,        c = (min + max) / 2,  h = (max - min) / 2

  and cell centres ``x_min + (j + 0.5) s_x`` map to ``u = (2j + 1)/W - 1`` — exactly the points ``affine_grid``
  generates, so a pure translation by whole cells moves features by whole cells without blurring.

Warp: for every ego cell centre ``p_e`` (ego frame at t0, on the plane z = 0) the source location in agent a's map at
t is ``p_a = M[a,t]⁻¹ p_e`` (only the x/y rows of the (affine) inverse are used, i.e. the ground-plane projection).
Writing ``x = C + D u`` with ``D = diag(h_x, h_y)``::

      u_a = D⁻¹ A D u_e + D⁻¹ (A C + b - C),     (A | b) = xy-block of M⁻¹

which is the ``theta`` (2×3) that ``affine_grid`` expects (output-normalised → input-normalised coordinates).
Cells whose source location falls outside the agent's map (``|u_a| > 1`` or ``|v_a| > 1``) are marked invalid
(partial overlap); bilinear sampling with zero padding keeps the warp differentiable w.r.t. the features.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmdet3d.registry import MODELS


def affine_inverse(matrices: Tensor) -> Tensor:
    """Inverse of affine 4×4 transforms ``(..., 4, 4)``.

    ``M[a,t]`` is rigid only without augmentation: the ego-frame augmentation ``A`` (scale, flip, rotation) makes
    ``A·M`` a similarity (``s·R``, possibly improper), whose inverse is ``R^T / s``, not the transpose. The inverse
    is taken in float64 (4×4 matrices, negligible cost) to keep centimetre accuracy at 50 m.
    """
    return torch.linalg.inv(matrices.double()).to(matrices.dtype)


def bev_affine_theta(poses: Tensor, point_cloud_range: Sequence[float]) -> Tensor:
    """Affine matrices for ``F.affine_grid`` that resample agent maps into the ego grid.

    Args:
        poses (Tensor): ``(N, 4, 4)`` agent-frame-at-t → ego-frame-at-t0 (``M[a,t]``).
        point_cloud_range (Sequence[float]): ``[x_min, y_min, z_min, x_max, y_max, z_max]`` covered by both the
            agent's own map (in its frame) and the ego map (in the ego frame at t0).

    Returns:
        Tensor: ``(N, 2, 3)`` theta mapping normalised ego-grid coordinates ``(u_e, v_e, 1)`` to normalised
        agent-grid coordinates ``(u_a, v_a)``.
    """
    x_min, y_min, _, x_max, y_max, _ = (float(v) for v in point_cloud_range)
    centre = poses.new_tensor([(x_min + x_max) / 2, (y_min + y_max) / 2])  # C
    half = poses.new_tensor([(x_max - x_min) / 2, (y_max - y_min) / 2])  # diag(D)
    ego_to_agent = affine_inverse(poses)
    linear = ego_to_agent[:, :2, :2]  # A
    offset = ego_to_agent[:, :2, 3]  # b
    theta = poses.new_zeros(poses.shape[0], 2, 3)
    theta[:, :, :2] = linear * half[None, None, :] / half[None, :, None]  # D⁻¹ A D
    theta[:, :, 2] = ((linear @ centre) + offset - centre) / half  # D⁻¹ (A C + b - C)
    return theta


@MODELS.register_module()
class BEVWarp(BaseModule):
    """Resample per-agent-frame BEV maps into the ego grid at t0 (bilinear, differentiable, with validity).

    Args:
        point_cloud_range (Sequence[float]): metric extent of every BEV map, each in its own frame.
        mode (str): ``grid_sample`` interpolation, ``'bilinear'`` (default) or ``'nearest'``.
    """

    def __init__(self, point_cloud_range: Sequence[float], mode: str = 'bilinear') -> None:
        super().__init__()
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        self.mode = mode

    def forward(self, features: Tensor, poses: Tensor) -> Tuple[Tensor, Tensor]:
        """Warp ``features`` with ``poses``.

        Args:
            features (Tensor): ``(N, C, H, W)`` BEV maps, each in its agent-frame-at-t.
            poses (Tensor): ``(N, 4, 4)`` agent-frame-at-t → ego-frame-at-t0.

        Returns:
            tuple[Tensor, Tensor]: warped ``(N, C, H, W)`` in the ego frame at t0 (zero outside the source view)
            and ``valid`` ``(N, H, W)`` bool, True where the ego cell centre lies inside the source map.
        """
        num, channels, height, width = features.shape
        if num == 0:
            return features, features.new_zeros((0, height, width), dtype=torch.bool)
        # geometry in float32 even under AMP (fp16 normalised coordinates would be off by centimetres)
        theta = bev_affine_theta(poses.float(), self.point_cloud_range)
        grid = F.affine_grid(theta, [num, channels, height, width], align_corners=False)
        warped = F.grid_sample(
            features.float(), grid, mode=self.mode, padding_mode='zeros',
            align_corners=False).to(features.dtype)
        valid = (grid.abs() <= 1.0).all(dim=-1)
        return warped, valid
