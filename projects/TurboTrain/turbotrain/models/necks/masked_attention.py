"""Scaled dot-product attention over a small set of candidates per BEV cell, with a key mask (dense, channel-first),
and the residual fusion module built on it that the temporal and the spatial fusion share."""
from typing import Tuple

from mmengine.model import BaseModule
from torch import Tensor, nn


def masked_cell_attention(query: Tensor, keys: Tensor, values: Tensor, key_mask: Tensor,
                          num_heads: int) -> Tensor:
    """Multi-head attention of one query over ``S`` masked keys, independently at every cell of a BEV map.

    Everything stays channel-first and dense (no gather/scatter of cells): on CPU this is several times cheaper than
    collecting the valid cells first. A masked key receives exactly zero weight (its finite value never reaches the
    output); a cell with no valid key returns zeros, with finite gradients.

    Args:
        query (Tensor): ``(N, C, H, W)``.
        keys (Tensor): ``(N, S, C, H, W)``.
        values (Tensor): ``(N, S, C, H, W)``.
        key_mask (Tensor): ``(N, S, H, W)`` bool, True = key may be attended.
        num_heads (int): number of heads; ``C`` must be divisible by it.

    Returns:
        Tensor: ``(N, C, H, W)`` attended values.
    """
    num, candidates, channels, height, width = keys.shape
    head_dim = channels // num_heads
    query = query.view(num, 1, num_heads, head_dim, height, width)
    keys = keys.view(num, candidates, num_heads, head_dim, height, width)
    scores = (query * keys).sum(3) * head_dim**-0.5  # (N, S, heads, H, W)
    mask = key_mask[:, :, None].expand_as(scores)
    any_valid = key_mask.any(dim=1)[:, None, None]  # (N, 1, 1, H, W)
    # Masked keys get -inf; cells without any valid key get uniform scores (then zeroed) to keep gradients finite.
    scores = scores.masked_fill(~mask, float('-inf')).masked_fill(~any_valid, 0.0)
    weights = scores.softmax(dim=1) * mask.to(scores.dtype)
    values = values.view(num, candidates, num_heads, head_dim, height, width)
    out = (weights[:, :, :, None] * values).sum(dim=1)  # (N, heads, head_dim, H, W)
    return out.reshape(num, channels, height, width)


class CellAttentionFusion(BaseModule):
    """Residual per-cell attention of a query over tagged candidates (frames of one agent, or agents).

    ``fused = (query + W_o · attention(W_q · query; W_kv · tagged))`` on the cells where a candidate is valid, zero
    elsewhere; all projections are 1×1 convolutions (per-cell linear maps). Subclasses choose the query and the tag
    (a learned embedding added to each candidate, e.g. frame age or agent type).

    Args:
        channels (int): feature channels ``C`` (divisible by ``num_heads``).
        num_heads (int): attention heads.
        tag_name (str): attribute name of the tag embedding (kept per subclass so checkpoints keep their keys).
        num_tags (int): number of tag values.
    """

    def __init__(self, channels: int, num_heads: int, tag_name: str, num_tags: int, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        assert channels % num_heads == 0, f'channels={channels} not divisible by num_heads={num_heads}'
        self.channels = channels
        self.num_heads = num_heads
        # The tag embedding is registered (and drawn) before the projections: parameter order, and so optimizer
        # states in checkpoints, and the initialisation under a seed are those of the modules before this class.
        tags = nn.Embedding(num_tags, channels)
        nn.init.normal_(tags.weight, std=0.02)
        setattr(self, tag_name, tags)
        self.query_proj = nn.Conv2d(channels, channels, 1)
        self.key_value_proj = nn.Conv2d(channels, 2 * channels, 1)
        self.out_proj = nn.Conv2d(channels, channels, 1)

    def fuse(self, query: Tensor, tagged: Tensor, valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Attend and add.

        Args:
            query (Tensor): ``(N, C, H, W)``.
            tagged (Tensor): ``(N, S, C, H, W)`` candidates with their tags added.
            valid (Tensor): ``(N, S, H, W)`` bool, True where candidate ``s`` covers the cell.

        Returns:
            tuple[Tensor, Tensor]: fused ``(N, C, H, W)`` (zero where no candidate is valid) and ``(N, H, W)``
            (any candidate valid).
        """
        num, candidates, channels, height, width = tagged.shape
        cell_valid = valid.any(dim=1)
        keys, values = self.key_value_proj(tagged.flatten(0, 1)).view(
            num, candidates, 2 * channels, height, width).split(channels, dim=2)
        attended = masked_cell_attention(self.query_proj(query), keys, values, valid, self.num_heads)
        return (query + self.out_proj(attended)) * cell_valid[:, None].to(query.dtype), cell_valid
