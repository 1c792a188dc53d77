"""Reconstruction targets in the ego BEV grid at t0, built from the real (unmasked) current-frame points.

Definitions (frames as in docs/contract.md):

* **Target points.** For every sample b, the current-frame (t = H-1) points of every agent a with
  ``cloud_valid[b, a, H-1]`` (agent present and its current frame present), *before* masking, transformed from
  agent-frame-at-(H-1) to ego-frame-at-t0 with ``M[b, a, H-1]`` and cropped to ``point_cloud_range`` (half-open
  ``[min, max)`` on x, y and z). Together they are "the current-frame scene as seen by all agents".
* **Ego grid.** ``grid_shape = (Hb, Wb)`` cells over ``point_cloud_range`` in the ego frame at t0: row ``iy`` along
  +y, column ``ix`` along +x (the mmdet3d BEV layout ``(B, C, ny, nx)``), cell size
  ``((x_max - x_min) / Wb, (y_max - y_min) / Hb)``.
* **Occupied cell.** An ego cell holding at least one target point.
* **Supervised cell** ("ego cell covered by a masked column"). An ego cell that holds at least one target point
  which the masking *removed* from its agent's current-frame cloud. Masked columns live on each agent's own grid,
  so after the rigid transform a column may overlap several ego cells; a cell counts as covered exactly when one of
  the masked points lands in it. Every supervised cell is occupied. Its target is *all* target points in the cell
  (masked or not, from every agent), at most ``max_points_per_cell`` of them (a uniformly random subset when a
  generator is given, else the first ones in input order, i.e. ego first).
* **Offsets.** Target points are stored as offsets in metres from the cell's reference point
  ``(x_centre, y_centre, z_mid)`` with ``z_mid = (z_min + z_max) / 2`` — the parametrisation of
  :class:`BEVReconstructionHead`.

Occupancy supervision uses every cell of the ego grid (target = occupied); Chamfer supervision uses the supervised
cells only (see ``losses.py``).
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmdet3d.registry import TASK_UTILS


@dataclass
class ReconstructionTargets:
    """Targets of one batch. M = number of supervised cells over the batch, P = points per cell after the cap.

    Attributes:
        occupancy: ``(B, Hb, Wb)`` bool, occupied ego cells.
        supervised: ``(B, Hb, Wb)`` bool, supervised ego cells (⊆ occupancy).
        cell_index: ``(M, 3)`` int64 ``(b, iy, ix)`` of the supervised cells, row-major order
            (= ``supervised.nonzero()``).
        cell_points: ``(M, P, 3)`` float, target offsets (m) from each cell's reference point, ego frame at t0;
            zero where padded.
        cell_point_valid: ``(M, P)`` bool.
        current_points: list of B ``(N_b, 3)`` tensors, all target points of sample b (ego frame at t0).
        current_point_masked: list of B ``(N_b,)`` bool, True where that point was masked.
        cell_size: ``(sx, sy)`` metres of one ego cell.
        z_mid: z reference (m) of the offsets.
        point_cloud_origin: ``(x_min, y_min)`` (m) of the ego grid.
    """
    occupancy: Tensor
    supervised: Tensor
    cell_index: Tensor
    cell_points: Tensor
    cell_point_valid: Tensor
    current_points: List[Tensor]
    current_point_masked: List[Tensor]
    cell_size: Tuple[float, float]
    z_mid: float
    point_cloud_origin: Tuple[float, float] = (0.0, 0.0)

    def cell_centres(self) -> Tensor:
        """``(M, 3)`` reference point ``(x_centre, y_centre, z_mid)`` of every supervised cell, ego frame at t0."""
        return cell_reference_points(self.cell_index, self.cell_size, self.point_cloud_origin, self.z_mid)


def cell_reference_points(cell_index: Tensor, cell_size: Sequence[float], origin: Sequence[float],
                          z_mid: float) -> Tensor:
    """Reference point ``(x_centre, y_centre, z_mid)`` (m, ego frame at t0) of cells ``(M, 3)`` = (b, iy, ix)."""
    ref = torch.empty(cell_index.shape[0], 3, dtype=torch.float32, device=cell_index.device)
    ref[:, 0] = origin[0] + (cell_index[:, 2].float() + 0.5) * cell_size[0]
    ref[:, 1] = origin[1] + (cell_index[:, 1].float() + 0.5) * cell_size[1]
    ref[:, 2] = z_mid
    return ref


@TASK_UTILS.register_module()
class ReconstructionTargetBuilder:
    """Bin the real current-frame points of all agents into the ego BEV grid (see the module docstring).

    Args:
        point_cloud_range: ``[x_min, y_min, z_min, x_max, y_max, z_max]`` (m) of the ego grid.
        max_points_per_cell: cap on the target points kept per supervised cell.
    """

    def __init__(self, point_cloud_range: Sequence[float], max_points_per_cell: int = 64) -> None:
        assert len(point_cloud_range) == 6
        assert max_points_per_cell >= 1
        self.point_cloud_range = [float(v) for v in point_cloud_range]
        self.max_points_per_cell = int(max_points_per_cell)

    def cell_size(self, grid_shape: Sequence[int]) -> Tuple[float, float]:
        x_min, y_min, _, x_max, y_max, _ = self.point_cloud_range
        return ((x_max - x_min) / grid_shape[1], (y_max - y_min) / grid_shape[0])

    @property
    def z_mid(self) -> float:
        return 0.5 * (self.point_cloud_range[2] + self.point_cloud_range[5])

    def __call__(self,
                 points: Sequence[Tensor],
                 point_is_masked: Sequence[Tensor],
                 agent_poses: Tensor,
                 cloud_valid: Tensor,
                 grid_shape: Sequence[int],
                 generator: Optional[torch.Generator] = None) -> ReconstructionTargets:
        """Build the targets.

        Args:
            points: list of ``B·A·H`` clouds ``(N_i, ≥3)``, order ``(b, a, t)``, each in agent-frame-at-t, unmasked.
            point_is_masked: list of ``B·A·H`` ``(N_i,)`` bool (:class:`ColumnMaskResult.point_is_masked`).
            agent_poses: ``(B, A, H, 4, 4)``, ``M[a, t]`` agent-frame-at-t → ego-frame-at-t0.
            cloud_valid: ``(B, A, H)`` bool, agent present and frame present.
            grid_shape: ``(Hb, Wb)`` of the ego BEV map the head predicts on.
            generator: optional CPU generator for the random subset of over-full cells.

        Returns:
            :class:`ReconstructionTargets`.
        """
        B, A, H = agent_poses.shape[:3]
        assert len(points) == B * A * H, f'expected {B * A * H} clouds (B·A·H), got {len(points)}'
        Hb, Wb = int(grid_shape[0]), int(grid_shape[1])
        device = agent_poses.device
        x_min, y_min, z_min, x_max, y_max, z_max = self.point_cloud_range
        sx, sy = self.cell_size(grid_shape)

        batch_points, batch_masked = [], []
        for b in range(B):
            xyz_list, masked_list = [], []
            for a in range(A):
                if not bool(cloud_valid[b, a, H - 1]):
                    continue
                index = (b * A + a) * H + (H - 1)
                cloud = points[index]
                matrix = agent_poses[b, a, H - 1].to(cloud.dtype)
                xyz = cloud[:, :3] @ matrix[:3, :3].T + matrix[:3, 3]
                inside = ((xyz[:, 0] >= x_min) & (xyz[:, 0] < x_max) & (xyz[:, 1] >= y_min)
                          & (xyz[:, 1] < y_max) & (xyz[:, 2] >= z_min) & (xyz[:, 2] < z_max))
                xyz_list.append(xyz[inside])
                masked_list.append(point_is_masked[index][inside])
            if xyz_list:
                batch_points.append(torch.cat(xyz_list).float())
                batch_masked.append(torch.cat(masked_list))
            else:
                batch_points.append(torch.zeros(0, 3, device=device))
                batch_masked.append(torch.zeros(0, dtype=torch.bool, device=device))

        # Flat cell id over the batch: b·Hb·Wb + iy·Wb + ix.
        cells, masked_flags, xyz_all = [], [], []
        for b, (xyz, masked) in enumerate(zip(batch_points, batch_masked)):
            ix = torch.floor((xyz[:, 0] - x_min) / sx).long().clamp_(0, Wb - 1)
            iy = torch.floor((xyz[:, 1] - y_min) / sy).long().clamp_(0, Hb - 1)
            cells.append(b * Hb * Wb + iy * Wb + ix)
            masked_flags.append(masked)
            xyz_all.append(xyz)
        cell = torch.cat(cells).to(device)
        masked_flag = torch.cat(masked_flags).to(device)
        xyz_all = torch.cat(xyz_all).to(device)

        occupancy = torch.zeros(B * Hb * Wb, dtype=torch.bool, device=device)
        occupancy[cell] = True
        supervised = torch.zeros_like(occupancy)
        supervised[cell[masked_flag]] = True

        # Points of the supervised cells, grouped by cell, capped at max_points_per_cell.
        keep = supervised[cell]
        cell_k, xyz_k = cell[keep], xyz_all[keep]
        if generator is not None and cell_k.numel() > 0:
            perm = torch.randperm(cell_k.numel(), generator=generator).to(device)
        else:
            perm = torch.arange(cell_k.numel(), device=device)
        sorted_cells, order = torch.sort(cell_k[perm], stable=True)
        xyz_sorted = xyz_k[perm[order]]
        unique_cells, counts = torch.unique_consecutive(sorted_cells, return_counts=True)
        starts = torch.cumsum(counts, 0) - counts
        rank = torch.arange(sorted_cells.numel(), device=device) - torch.repeat_interleave(starts, counts)
        slot = torch.repeat_interleave(torch.arange(unique_cells.numel(), device=device), counts)
        within_cap = rank < self.max_points_per_cell
        num_slots = int(counts.clamp(max=self.max_points_per_cell).max()) if counts.numel() else 0

        cell_index = torch.stack([unique_cells // (Hb * Wb), (unique_cells % (Hb * Wb)) // Wb, unique_cells % Wb],
                                 dim=1)
        reference = cell_reference_points(cell_index, (sx, sy), (x_min, y_min), self.z_mid)
        cell_points = torch.zeros(unique_cells.numel(), num_slots, 3, device=device)
        cell_point_valid = torch.zeros(unique_cells.numel(), num_slots, dtype=torch.bool, device=device)
        s, r = slot[within_cap], rank[within_cap]
        cell_points[s, r] = xyz_sorted[within_cap] - reference[s]
        cell_point_valid[s, r] = True

        return ReconstructionTargets(
            occupancy=occupancy.view(B, Hb, Wb),
            supervised=supervised.view(B, Hb, Wb),
            cell_index=cell_index,
            cell_points=cell_points,
            cell_point_valid=cell_point_valid,
            current_points=batch_points,
            current_point_masked=batch_masked,
            cell_size=(sx, sy),
            z_mid=self.z_mid,
            point_cloud_origin=(x_min, y_min))
