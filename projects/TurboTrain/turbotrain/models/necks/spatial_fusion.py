"""Spatial (cross-agent) fusion of per-agent BEV maps in the ego frame at t0, per cell."""
from typing import Tuple

from torch import Tensor

from mmdet3d.registry import MODELS
from .masked_attention import CellAttentionFusion


@MODELS.register_module()
class AgentAttentionFusion(CellAttentionFusion):
    """Per-cell, agent-type-aware attention of the ego over all agents that see the cell.

    For each ego cell: keys/values are the agents' (temporally fused) features plus a learned embedding of the
    agent's type (vehicle / infrastructure), so the attention can weigh a roadside LiDAR differently from a car;
    the query is the ego's own feature (agent index 0) where the ego sees the cell, otherwise the mean of the agents
    that do. Output ``= query + W_o · attention`` (1×1 projections). Absent agents (padding) and cells outside an
    agent's view get exactly zero weight; cells seen by nobody are zero.

    Args:
        channels (int): feature channels ``C``.
        num_agent_types (int): number of agent types (contract: 0 = vehicle, 1 = infrastructure).
        num_heads (int): attention heads.
    """

    def __init__(self, channels: int, num_agent_types: int = 2, num_heads: int = 1,
                 init_cfg=None) -> None:
        super().__init__(channels, num_heads, 'type_embedding', num_agent_types, init_cfg=init_cfg)

    def forward(self, features: Tensor, valid: Tensor, agent_types: Tensor) -> Tuple[Tensor, Tensor]:
        """Fuse agents.

        Args:
            features (Tensor): ``(B, A, C, H, W)`` per-agent maps in the ego frame at t0 (agent 0 = ego).
            valid (Tensor): ``(B, A, H, W)`` bool, True where the agent contributes at the cell (False everywhere
                for padded / absent agents).
            agent_types (Tensor): ``(B, A)`` int64.

        Returns:
            tuple[Tensor, Tensor]: fused ``(B, C, H, W)`` (ego frame at t0) and ``valid`` ``(B, H, W)``.
        """
        weights = valid[:, :, None].to(features.dtype)  # (B, A, 1, H, W)
        mean = (features * weights).sum(1) / weights.sum(1).clamp(min=1.0)  # (B, C, H, W)
        query = features[:, 0] * weights[:, 0] + mean * (1.0 - weights[:, 0])
        typed = features + self.type_embedding(agent_types)[:, :, :, None, None]  # (B, A, C, H, W)
        return self.fuse(query, typed, valid)
