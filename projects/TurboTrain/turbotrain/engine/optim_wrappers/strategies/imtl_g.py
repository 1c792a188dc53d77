"""``imtl_g``: the gradient part of Impartial Multi-Task Learning (Liu et al., ICLR 2021)."""
from typing import Optional

import torch

from .base import BalanceResult, BaseBalanceStrategy, gradient_stats
from .registry import BALANCE_STRATEGIES


@BALANCE_STRATEGIES.register_module(name='imtl_g')
class IMTLGStrategy(BaseBalanceStrategy):
    """IMTL-G at every update: the shared gradient ``g = Σ_k α_k g_k`` has equal projections on every task's unit
    gradient ``u_k = g_k / ‖g_k‖``.

    With ``D`` the rows ``g_1 − g_k`` and ``U`` the rows ``u_1 − u_k`` (k = 2..K), the paper's closed form is
    ``α_{2:K} = g_1 Uᵀ (D Uᵀ)⁻¹`` and ``α_1 = 1 − Σ_{k≥2} α_k``. Every product here is read from the Gram matrix.
    The paper normalises ``Σ α = 1``; we scale ``α`` by ``Σ_k w_k`` (the sum of the fixed weights, ``K`` by default)
    so the step size is comparable to ``sum`` at the same learning rate. Where the system is singular (parallel
    gradients, a zero gradient) ``α`` falls back to the fixed weights. Task-specific parameters get the gradient of
    ``Σ_k w_k L_k`` with the fixed weights (IMTL-G balances the shared parameters only; IMTL-L is not used).

    ``K ×`` the combination of ``dict(type='torchjd', aggregator='IMTLG')`` (``Σ α = 1`` there; tested) where the
    system is regular; kept because it needs no optional dependency, keeps ``sum``'s step size and falls back to the
    fixed weights where torchjd's pseudo-inverse would weigh a degenerate system.

    Config: ``strategy=dict(type='imtl_g', task_weights=None)``.
    """

    combines_every_update = True

    def __init__(self, task_weights=None, eps: float = 1e-12) -> None:
        super().__init__(task_weights)
        self.eps = eps

    def uses_task_grads(self, step: int) -> bool:
        return True

    def alphas(self, gram: torch.Tensor) -> torch.Tensor:
        """IMTL-G coefficients (Σ α = 1) from the Gram matrix, or None where the system is singular."""
        norms = gram.diagonal().clamp(min=0).sqrt()
        if norms.min() <= self.eps:
            return None
        # <x_a, u_b> = G[a, b] / n_b for task gradients x_a and unit gradients u_b
        proj = gram / norms[None, :]
        rest = torch.arange(1, gram.shape[0])
        # (g_1 U^T)_b = <g_1, u_1> - <g_1, u_b>
        g1_u = proj[0, 0] - proj[0, rest]
        # (D U^T)_{a, b} = <g_1 - g_a, u_1 - u_b>
        d_u = (proj[0, 0] - proj[0, rest][None, :] - proj[rest, 0][:, None] + proj[rest][:, rest])
        if torch.linalg.matrix_rank(d_u, rtol=1e-9) < d_u.shape[0]:
            return None
        alpha_rest = torch.linalg.solve(d_u.T, g1_u)
        return torch.cat([1 - alpha_rest.sum(0, keepdim=True), alpha_rest])

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        weights = self.base_weights()
        alphas = self.alphas(gram)
        stats = gradient_stats(gram)
        if alphas is None or not torch.isfinite(alphas).all():
            shared_coeffs = weights
            stats['singular'] = 1.0
        else:
            shared_coeffs = (alphas * sum(weights)).tolist()
            stats['singular'] = 0.0
        return BalanceResult(shared_coeffs=shared_coeffs, head_weights=weights, stats=stats)
