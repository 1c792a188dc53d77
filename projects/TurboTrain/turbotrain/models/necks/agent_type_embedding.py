"""Learned agent-type embedding added to an agent's BEV features."""
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet3d.registry import MODELS


@MODELS.register_module()
class AgentTypeEmbedding(BaseModule):
    """Add a learned per-type vector (contract: 0 = vehicle, 1 = infrastructure) to every cell of a BEV map.

    Lets the shared encoder weights specialise to the sensor platform (a roadside LiDAR mounted high sees
    different point patterns from a car's) before fusion.

    Args:
        channels (int): feature channels ``C``.
        num_agent_types (int): number of agent types.
    """

    def __init__(self, channels: int, num_agent_types: int = 2, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embedding = nn.Embedding(num_agent_types, channels)
        nn.init.zeros_(self.embedding.weight)

    def forward(self, features: Tensor, agent_types: Tensor) -> Tensor:
        """``features (N, C, H, W)`` (any frame) + ``embedding[agent_types (N,)]`` → ``(N, C, H, W)``."""
        return features + self.embedding(agent_types)[:, :, None, None]
