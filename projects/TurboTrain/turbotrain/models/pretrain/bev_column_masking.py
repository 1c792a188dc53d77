"""BEV-column masking of every agent-frame point cloud for masked-reconstruction pretraining.

The mask unit is a BEV column (all heights) of the encoder's *output* stride, laid on each agent's own grid: the
grid covers ``point_cloud_range`` in the agent's frame at its frame t (docs/contract.md: "The ego grid and every
agent's own grid cover the same point_cloud_range, each in its own frame"). Column size in metres is
``pillar size × output stride of the backbone + neck`` (e.g. 0.4 m pillars, stride 2 → 0.8 m columns).

For every agent-frame cloud (agent a, history frame t) independently, ``round(ratio × K)`` of its ``K`` *occupied*
columns are drawn at random and all points inside them are removed, so that they never reach the encoder.
``round`` is round-half-up: ``floor(ratio × K + 0.5)``. Points outside ``point_cloud_range`` do not belong to any
column: they are never masked and are passed through unchanged (the encoder crops them).
"""
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmdet3d.registry import TASK_UTILS


@dataclass
class ColumnMaskResult:
    """What :class:`BEVColumnMasking` returns, one entry per agent-frame cloud (same order as the input list).

    Attributes:
        kept_points: list of ``(N_i - M_i, D)`` tensors, the points the encoder may see (agent frame at t).
        masked_points: list of ``(M_i, D)`` tensors, the removed points (agent frame at t).
        point_is_masked: list of ``(N_i,)`` bool tensors, True where the input point was removed.
        masked_columns: list of ``(C_i,)`` int64 tensors, sorted flat column ids ``iy * nx + ix`` of the masked
            columns on the agent's own grid.
        num_occupied: ``(num_clouds,)`` int64, number of occupied columns of each cloud.
        grid_shape: ``(ny, nx)`` of the column grid.
    """
    kept_points: List[Tensor]
    masked_points: List[Tensor]
    point_is_masked: List[Tensor]
    masked_columns: List[Tensor]
    num_occupied: Tensor
    grid_shape: Tuple[int, int]

    @property
    def num_masked_columns(self) -> Tensor:
        """``(num_clouds,)`` int64, number of masked columns of each cloud."""
        return torch.tensor([len(c) for c in self.masked_columns], dtype=torch.long)


@TASK_UTILS.register_module()
class BEVColumnMasking:
    """Mask a ratio of the occupied BEV columns of every agent-frame point cloud.

    Args:
        point_cloud_range: ``[x_min, y_min, z_min, x_max, y_max, z_max]`` (m) of each agent's own grid.
        column_size: ``(sx, sy)`` (m) of one column, i.e. pillar size × encoder output stride.
        ratio: fraction of the occupied columns masked in each cloud, in [0, 1]. It is a plain attribute so that
            a schedule (``MAEPretrainHook``) may change it during training.
        seed: seed of the internal ``torch.Generator`` used when :meth:`__call__` gets no generator. ``None``
            draws a seed from torch's global RNG (which mmengine seeds from the config's ``randomness``).
    """

    def __init__(self,
                 point_cloud_range: Sequence[float],
                 column_size: Sequence[float] = (0.8, 0.8),
                 ratio: float = 0.7,
                 seed: Optional[int] = None) -> None:
        assert len(point_cloud_range) == 6, 'point_cloud_range is [x_min, y_min, z_min, x_max, y_max, z_max]'
        assert len(column_size) == 2 and min(column_size) > 0
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        self.column_size = (float(column_size[0]), float(column_size[1]))
        self.ratio = float(ratio)
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        self.grid_shape = (int(round((y_max - y_min) / self.column_size[1])),
                           int(round((x_max - x_min) / self.column_size[0])))
        if seed is None:
            seed = int(torch.randint(0, 2**31 - 1, (1,)).item())
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)

    @property
    def ratio(self) -> float:
        return self._ratio

    @ratio.setter
    def ratio(self, value: float) -> None:
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f'mask ratio must lie in [0, 1], got {value}')
        self._ratio = float(value)

    def num_to_mask(self, num_occupied: int) -> int:
        """``round(ratio × num_occupied)`` with round-half-up."""
        return int(math.floor(self.ratio * num_occupied + 0.5))

    def column_ids(self, points: Tensor) -> Tensor:
        """Flat column id ``iy * nx + ix`` of each point (agent frame), -1 outside ``point_cloud_range``.

        Args:
            points: ``(N, D ≥ 3)`` in the agent's frame at its frame t.

        Returns:
            ``(N,)`` int64.
        """
        x_min, y_min, z_min, x_max, y_max, z_max = self.point_cloud_range
        ny, nx = self.grid_shape
        xyz = points[:, :3]
        inside = ((xyz[:, 0] >= x_min) & (xyz[:, 0] < x_max) & (xyz[:, 1] >= y_min) & (xyz[:, 1] < y_max)
                  & (xyz[:, 2] >= z_min) & (xyz[:, 2] < z_max))
        ix = torch.floor((xyz[:, 0] - x_min) / self.column_size[0]).long().clamp_(0, nx - 1)
        iy = torch.floor((xyz[:, 1] - y_min) / self.column_size[1]).long().clamp_(0, ny - 1)
        return torch.where(inside, iy * nx + ix, torch.full_like(ix, -1))

    def __call__(self,
                 points: Sequence[Tensor],
                 cloud_valid: Optional[Tensor] = None,
                 generator: Optional[torch.Generator] = None) -> ColumnMaskResult:
        """Mask every cloud independently.

        Args:
            points: list of ``(N_i, D)`` clouds, each in its agent's frame at its frame t (the model input's
                order ``(b, a, t)``).
            cloud_valid: optional ``(num_clouds,)`` bool; invalid (padded / missing) clouds are left untouched
                (they are empty by contract anyway).
            generator: a CPU ``torch.Generator``; defaults to this object's own generator. The same generator
                state gives the same masks.

        Returns:
            :class:`ColumnMaskResult`.
        """
        generator = self.generator if generator is None else generator
        kept, masked, is_masked, masked_cols, num_occupied = [], [], [], [], []
        for i, cloud in enumerate(points):
            column_id = self.column_ids(cloud)
            occupied = torch.unique(column_id[column_id >= 0])  # sorted
            valid = cloud_valid is None or bool(cloud_valid[i])
            if not valid or occupied.numel() == 0:
                point_mask = torch.zeros(cloud.shape[0], dtype=torch.bool, device=cloud.device)
                chosen = occupied[:0]
            else:
                num_mask = self.num_to_mask(occupied.numel())
                order = torch.randperm(occupied.numel(), generator=generator).to(occupied.device)
                chosen = torch.sort(occupied[order[:num_mask]]).values
                point_mask = torch.isin(column_id, chosen)
            kept.append(cloud[~point_mask])
            masked.append(cloud[point_mask])
            is_masked.append(point_mask)
            masked_cols.append(chosen)
            num_occupied.append(int(occupied.numel()) if valid else 0)
        return ColumnMaskResult(
            kept_points=kept,
            masked_points=masked,
            point_is_masked=is_masked,
            masked_columns=masked_cols,
            num_occupied=torch.tensor(num_occupied, dtype=torch.long),
            grid_shape=self.grid_shape)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(point_cloud_range={self.point_cloud_range}, '
                f'column_size={self.column_size}, ratio={self.ratio}, seed={self.seed})')
