"""Scaled dot-product attention over a small set of candidates per BEV cell, with a key mask."""
from torch import Tensor


def masked_cell_attention(query: Tensor, keys: Tensor, values: Tensor, key_mask: Tensor,
                          num_heads: int) -> Tensor:
    """Multi-head attention of one query over ``S`` masked keys, independently for each of ``M`` cells.

    A masked key receives exactly zero weight (its value never reaches the output); a cell with no valid key
    returns zeros (no NaN in forward or backward).

    Args:
        query (Tensor): ``(M, C)``.
        keys (Tensor): ``(M, S, C)``.
        values (Tensor): ``(M, S, C)``.
        key_mask (Tensor): ``(M, S)`` bool, True = key may be attended.
        num_heads (int): number of heads; ``C`` must be divisible by it.

    Returns:
        Tensor: ``(M, C)`` attended values.
    """
    cells, candidates, channels = keys.shape
    head_dim = channels // num_heads
    query = query.view(cells, 1, num_heads, head_dim)
    keys = keys.view(cells, candidates, num_heads, head_dim)
    values = values.view(cells, candidates, num_heads, head_dim)
    scores = (query * keys).sum(-1) * head_dim**-0.5  # (M, S, heads)
    mask = key_mask[:, :, None].expand_as(scores)
    any_valid = key_mask.any(dim=1)[:, None, None]
    # Masked keys get -inf; cells without any valid key get uniform scores (then zeroed) to keep gradients finite.
    scores = scores.masked_fill(~mask, float('-inf')).masked_fill(~any_valid, 0.0)
    weights = scores.softmax(dim=1) * mask.to(scores.dtype)  # (M, S, heads)
    out = (weights[..., None] * values).sum(dim=1)  # (M, heads, head_dim)
    return out.reshape(cells, channels)
