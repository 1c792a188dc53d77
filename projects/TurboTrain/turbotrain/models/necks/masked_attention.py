"""Scaled dot-product attention over a small set of candidates per BEV cell, with a key mask (dense, channel-first)."""
from torch import Tensor


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
