"""Cooperative fusion neck: BEV warping → temporal fusion per agent → spatial fusion over agents."""
from typing import Dict, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmdet3d.registry import MODELS


@MODELS.register_module()
class CoopFusionNeck(BaseModule):
    """Fuse per-agent-frame BEV maps into one ego BEV map at t0 (contract: "Trunk and heads").

    1. ``warp`` (:class:`BEVWarp`): every valid agent-frame map ``F[a,t]`` (agent frame at t) is resampled into the
       ego grid at t0 with ``M[a,t]``, giving a per-cell validity mask (partial overlap).
    2. ``temporal_fusion`` (:class:`TemporalConvFusion`, motion-aware, or :class:`TemporalAttentionFusion`, per
       cell): per agent, over its valid history frames.
    3. ``spatial_fusion`` (e.g. :class:`AgentAttentionFusion`): per cell, over the agents that see it.

    Only valid agent-frames are warped and only agents with at least one valid frame are fused in time, so padding
    (absent agents, missing frames) costs nothing and changes nothing. Accepts any ``A ≥ 1`` and ``T ≥ 1``
    (``T ≤ max_history`` of the temporal module).

    Args:
        point_cloud_range (Sequence[float]): metric extent of every BEV map (each in its own frame).
        temporal_fusion (dict): config of the temporal module.
        spatial_fusion (dict): config of the spatial module.
        warp (dict, optional): extra config of the :class:`BEVWarp` (``point_cloud_range`` is filled in).
    """

    def __init__(self, point_cloud_range: Sequence[float], temporal_fusion: dict,
                 spatial_fusion: dict, warp: Optional[dict] = None, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        warp = dict(type='BEVWarp', **(warp or {}))
        warp['point_cloud_range'] = list(point_cloud_range)
        self.warp = MODELS.build(warp)
        self.temporal_fusion = MODELS.build(temporal_fusion)
        self.spatial_fusion = MODELS.build(spatial_fusion)

    def forward(self, features: Tensor, agent_poses: Tensor, agent_frame_valid: Tensor,
                agent_types: Tensor, agent_valid: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Fuse.

        Args:
            features (Tensor): ``(B, A, T, C, H, W)`` BEV map of agent a at frame t, **in agent-frame-at-t**;
                values of invalid agent-frames are never read.
            agent_poses (Tensor): ``(B, A, T, 4, 4)`` agent-frame-at-t → ego-frame-at-t0.
            agent_frame_valid (Tensor): ``(B, A, T)`` bool.
            agent_types (Tensor): ``(B, A)`` int64 (0 vehicle, 1 infrastructure).
            agent_valid (Tensor, optional): ``(B, A)`` bool, False for padded agents.

        Returns:
            dict[str, Tensor]: all in the ego frame at t0 —
            ``bev`` ``(B, C, H, W)`` fused map; ``bev_valid`` ``(B, H, W)`` cells seen by some agent;
            ``agent_bev`` ``(B, A, C, H, W)`` per-agent temporally fused maps; ``agent_bev_valid`` ``(B, A, H, W)``;
            ``warped_valid`` ``(B, A, T, H, W)`` per-agent-frame coverage of the ego grid.
        """
        batch, agents, frames, channels, height, width = features.shape
        frame_valid = agent_frame_valid.bool()
        if agent_valid is not None:
            frame_valid = frame_valid & agent_valid.bool()[:, :, None]

        # 1. warp only the valid agent-frames (no gather/scatter when all are valid)
        if bool(frame_valid.all()):
            warped, warped_cells = self.warp(features.flatten(0, 2), agent_poses.flatten(0, 2))
            dense_warped = warped.view(batch, agents, frames, channels, height, width)
            warped_valid = warped_cells.view(batch, agents, frames, height, width)
        else:
            frame_index = frame_valid.nonzero(as_tuple=True)
            warped, warped_cells = self.warp(features[frame_index], agent_poses[frame_index])
            dense_warped = features.new_zeros(batch, agents, frames, channels, height, width)
            dense_warped = dense_warped.index_put(frame_index, warped)
            warped_valid = torch.zeros(
                batch, agents, frames, height, width, dtype=torch.bool, device=features.device)
            warped_valid = warped_valid.index_put(frame_index, warped_cells)

        # 2. temporal fusion for agents with at least one valid frame
        agent_has_frame = frame_valid.any(dim=2)
        if bool(agent_has_frame.all()):
            agent_bev, agent_bev_valid = self.temporal_fusion(
                dense_warped.flatten(0, 1), warped_valid.flatten(0, 1))
            agent_bev = agent_bev.view(batch, agents, channels, height, width)
            agent_bev_valid = agent_bev_valid.view(batch, agents, height, width)
        else:
            agent_index = agent_has_frame.nonzero(as_tuple=True)
            agent_fused, agent_cells = self.temporal_fusion(
                dense_warped[agent_index], warped_valid[agent_index])
            agent_bev = features.new_zeros(batch, agents, channels, height, width)
            agent_bev = agent_bev.index_put(agent_index, agent_fused)
            agent_bev_valid = torch.zeros(
                batch, agents, height, width, dtype=torch.bool, device=features.device)
            agent_bev_valid = agent_bev_valid.index_put(agent_index, agent_cells)

        # 3. spatial fusion over agents
        bev, bev_valid = self.spatial_fusion(agent_bev, agent_bev_valid, agent_types)
        return dict(bev=bev, bev_valid=bev_valid, agent_bev=agent_bev,
                    agent_bev_valid=agent_bev_valid, warped_valid=warped_valid)
