"""``torchjd``: the aggregators of torchjd (a maintained Jacobian-descent library) behind the same wrapper.

Most torchjd aggregators combine the task gradients ``J`` (K×P, one row per task) as ``wᵀ J`` with weights ``w``
computed from the Gramian ``G = J Jᵀ`` alone. That is exactly what a strategy here receives (the K×K Gram matrix of
the task gradients on the shared parameters, averaged over ranks by the wrapper's one all-reduce), so one adapter
serves all of them, keeping the wrapper's DDP, AMP, clipping, accumulation and resume behaviour. torchjd is imported
on first use only: the other strategies do not need it.
"""
import inspect
from typing import Dict, Optional, Tuple

import torch

from .base import BalanceResult, BaseBalanceStrategy, gradient_stats
from .registry import BALANCE_STRATEGIES

#: torchjd aggregators the adapter runs, and where their weights come from: ``'gramian'`` — the aggregator's
#: Gramian weighting applied to ``G``; ``'matrix'`` — its matrix weighting applied to a K×K square root ``R`` of
#: ``G`` (``R Rᵀ = G``), valid because these weightings read the matrix only through ``R Rᵀ`` (or its shape).
SUPPORTED: Dict[str, str] = {
    'UPGrad': 'gramian', 'DualProj': 'gramian', 'AlignedMTL': 'gramian', 'CAGrad': 'gramian', 'IMTLG': 'gramian',
    'MGDA': 'gramian', 'FairGrad': 'gramian', 'PCGrad': 'gramian', 'NashMTL': 'matrix', 'Mean': 'matrix',
    'Sum': 'matrix'
}
#: torchjd methods the adapter refuses, and why (the error names them and the supported ones)
REFUSED: Dict[str, str] = {
    'GradDrop': 'masks each coordinate of the Jacobian at random: it needs the Jacobian itself, not its Gramian',
    'TrimmedMean': 'trims each coordinate of the Jacobian: it needs the Jacobian itself, not its Gramian',
    'ConFIG': 'combines the normalised Jacobian rows through a pseudo-inverse, with no weighting of the Gramian',
    'Krum': 'is a Byzantine-robust mean that selects among many rows (n_byzantine); with K task gradients it '
            'drops tasks',
    'Random': 'draws random weights from the global RNG at every call',
    'Constant': "gives fixed weights: use strategy type='sum' with task_weights",
    'GradVac': 'keeps an EMA state that the adapter does not save for resume',
    'PCD': 'keeps an EMA state that the adapter does not save for resume',
    'ExcessMTL': 'keeps an accumulated state that the adapter does not save for resume',
    'CRMOGM': 'smooths another weighting with an EMA state that the adapter does not save for resume',
    'MoDo': 'needs Gramians of two independent batches (J_1 J_2ᵀ), not one Gramian',
    'SDMGrad': 'needs Gramians of independent batches, not one Gramian',
}
#: state of stateful aggregators, saved in :meth:`TorchJDStrategy.state_dict` (attributes of their weighting)
STATE_ATTRS: Dict[str, Tuple[str, ...]] = {'NashMTL': ('step', 'prvs_alpha', 'normalization_factor')}
#: pinned in tools/install.sh
INSTALL_HINT = "pip install 'torchjd[full]==0.18.0' (tools/install.sh installs it)"


def _supported_error(name: str, reason: str) -> ValueError:
    return ValueError(f'torchjd aggregator {name!r} {reason}; supported: {", ".join(sorted(SUPPORTED))}')


def gram_square_root(gram: torch.Tensor) -> torch.Tensor:
    """A K×K matrix ``R`` with ``R Rᵀ = gram`` (symmetric PSD, negative eigenvalues from rounding set to 0)."""
    eigenvalues, eigenvectors = torch.linalg.eigh(gram)
    return eigenvectors * eigenvalues.clamp(min=0).sqrt()[None, :]


@BALANCE_STRATEGIES.register_module(name='torchjd')
class TorchJDStrategy(BaseBalanceStrategy):
    """A torchjd aggregator at every update: the shared gradient is torchjd's aggregation of the task gradients.

    With ``h_k = w_k g_k`` (fixed weights ``w``, 1 by default, so ``J`` is the plain Jacobian) the shared gradient is
    ``scale · Σ_k ω_k h_k`` with ``ω`` the aggregator's weights for the Gramian ``G_w = diag(w) G diag(w)``: the
    result of ``aggregator(J_w)`` for ``J_w`` with rows ``h_k``. Task-specific parameters get the gradient of
    ``Σ_k w_k L_k``, as torchjd's ``mtl_backward`` gives each head its own task's gradient.

    Randomness (PCGrad's visiting order) is drawn under a CPU generator seeded with ``(seed, step)`` and restored
    afterwards, so every rank and a resumed run draw the same, and the training RNG is not disturbed. A stateful
    aggregator (NashMTL: previous weights, its own step counter, normalisation) has its state saved with the
    wrapper's and restored on resume. Methods that need more than the Gramian or keep state the adapter cannot
    restore are refused (:data:`REFUSED`). Every rank computes the same weights from the same (all-reduced)
    Gramian; NashMTL's iterative convex solve answers rounding-level differences of the Gramian (``R Rᵀ`` here
    against ``J Jᵀ`` in torchjd, or a mean over ranks against one process's) with differences of about 1e-6.

    Scale: the weights of UPGrad, DualProj, IMTLG, MGDA and Mean sum to about 1 (a mean), so the shared step is
    about ``1/K`` of ``sum``'s at the same learning rate (NashMTL also clips ``‖Σ ω_k h_k‖`` at ``max_norm``).
    Adam-type optimisers are nearly invariant to that; with SGD, ``scale=K`` restores ``sum``'s step size.

    Config: ``strategy=dict(type='torchjd', aggregator='UPGrad', **aggregator_kwargs)``, e.g.
    ``dict(type='torchjd', aggregator='CAGrad', c=0.4)``, ``dict(type='torchjd', aggregator='NashMTL')``
    (``n_tasks`` is filled in). On TurboTrain's schedule: ``dict(type='interval', interval=10,
    method=dict(type='torchjd', aggregator='UPGrad'))``.

    Args:
        aggregator (str): the torchjd aggregator's class name, one of :data:`SUPPORTED`.
        task_weights (dict, optional): fixed weights ``w``, see :class:`BaseBalanceStrategy`.
        scale (float): factor on the shared coefficients (1 = torchjd's aggregation).
        seed (int): seed of the randomness a method draws (see above).
        **aggregator_kwargs: the aggregator's own arguments (``pref_vector`` as a list; ``projector`` as a dict of
            ``QuadprogProjector`` arguments).
    """
    combines_every_update = True

    def __init__(self, aggregator: str = 'UPGrad', task_weights=None, scale: float = 1.0, seed: int = 0,
                 **aggregator_kwargs) -> None:
        super().__init__(task_weights)
        if aggregator in REFUSED or aggregator.removesuffix('Weighting') in REFUSED:
            name = aggregator.removesuffix('Weighting')
            raise _supported_error(aggregator, f'is not supported (it {REFUSED[name]})')
        if aggregator not in SUPPORTED:
            raise _supported_error(aggregator, 'is not a torchjd aggregator this adapter runs')
        self.aggregator_name = aggregator
        self.aggregator_kwargs = dict(aggregator_kwargs)
        self.scale = float(scale)
        self.seed = seed
        self._check_arguments()
        self.aggregator = None
        self.solver_kept_previous = False  # NashMTL: whether the last solve kept its previous weights

    # ---------------------------------------------------------------------------------------------- building
    def _aggregator_class(self):
        try:
            from torchjd import aggregation
        except ImportError as error:
            raise ImportError(f"strategy 'torchjd' needs torchjd: {INSTALL_HINT}") from error
        return getattr(aggregation, self.aggregator_name)

    def _check_arguments(self) -> None:
        """Unknown or missing aggregator arguments: one error naming the aggregator and what it takes."""
        parameters = dict(inspect.signature(self._aggregator_class().__init__).parameters)
        parameters.pop('self', None)
        takes = ', '.join(parameters) or 'no arguments'
        unknown = sorted(set(self.aggregator_kwargs) - set(parameters))
        missing = [name for name, p in parameters.items()
                   if p.default is inspect.Parameter.empty and name != 'n_tasks' and name not in self.aggregator_kwargs]
        if unknown or missing:
            problem = (f'does not take {", ".join(unknown)}' if unknown else f'needs {", ".join(missing)}')
            raise TypeError(f'torchjd aggregator {self.aggregator_name!r} {problem} (it takes: {takes})')

    def _build(self, num_tasks: int):
        cls = self._aggregator_class()
        kwargs = dict(self.aggregator_kwargs)
        if 'pref_vector' in kwargs and kwargs['pref_vector'] is not None:
            kwargs['pref_vector'] = torch.as_tensor(kwargs['pref_vector'], dtype=torch.float64)
        if isinstance(kwargs.get('projector'), dict):
            from torchjd.linalg import QuadprogProjector
            kwargs['projector'] = QuadprogProjector(**kwargs['projector'])
        if 'n_tasks' in inspect.signature(cls.__init__).parameters:
            given = kwargs.setdefault('n_tasks', num_tasks)
            if given != num_tasks:
                raise ValueError(f'torchjd {self.aggregator_name}: n_tasks={given} but the model has {num_tasks} '
                                 f'tasks {self.task_names}; leave n_tasks out')
        return cls(**kwargs)

    def init_state(self) -> None:
        self.aggregator = self._build(self.num_tasks)

    # --------------------------------------------------------------------------------------------- interface
    def uses_task_grads(self, step: int) -> bool:
        return True

    def aggregation_weights(self, gram: torch.Tensor, step: int) -> torch.Tensor:
        """torchjd's weights ``ω`` (K,) for the Gramian ``gram`` (float64), randomness seeded by ``(seed, step)``."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed * 1_000_003 + step)
            if SUPPORTED[self.aggregator_name] == 'gramian':
                weights = self.aggregator.gramian_weighting(gram)
            elif self.aggregator_name == 'NashMTL':
                weights = self._nash_mtl_weights(gram_square_root(gram))
            else:
                weights = self.aggregator.weighting(gram_square_root(gram))
        return weights.detach().to(torch.float64).cpu()

    def _nash_mtl_weights(self, matrix: torch.Tensor) -> torch.Tensor:
        """NashMTL's weights, keeping its previous weights when its solve ends outside ``α > 0``.

        Every feasible point of Nash-MTL's problem has ``α_k (Gα)_k ≥ 1``, so ``α > 0``; ECOS can still stop at a
        point with a slightly negative ``α_k``, which torchjd 0.18 stores and then refuses at its next solve (cvxpy:
        "Variable value must be nonnegative"), ending the training. Such a solve is treated as torchjd treats a
        solver error: the previous weights are kept (and rescaled by its ``max_norm`` rule), and the next solve
        starts from them. ``self.solver_kept_previous`` says whether this call did so.
        """
        import numpy as np

        def positive(alpha) -> bool:
            alpha = np.asarray(alpha, dtype=np.float64)
            return bool(np.isfinite(alpha).all() and (alpha > 0).all())

        weighting = self.aggregator.weighting
        previous = np.array(weighting.prvs_alpha, dtype=np.float64, copy=True)
        if not positive(previous):  # e.g. restored from such a solve
            previous = np.ones_like(previous)  # torchjd's starting weights
        try:
            weights = weighting(matrix)
            self.solver_kept_previous = not positive(weighting.prvs_alpha)
        except ValueError as error:
            if 'nonnegative' not in str(error):
                raise
            self.solver_kept_previous = True
        if not self.solver_kept_previous:
            return weights
        weighting.prvs_alpha = previous
        weights = torch.from_numpy(previous).to(matrix)
        if weighting.max_norm > 0:
            norm = torch.linalg.norm(weights @ matrix)
            if norm > weighting.max_norm:
                weights = weights / norm * weighting.max_norm
        return weights

    def combine(self, gram: torch.Tensor, step: int, loss_values: Optional[torch.Tensor] = None) -> BalanceResult:
        weights = torch.tensor(self.base_weights(), dtype=gram.dtype)
        omega = self.aggregation_weights(gram * weights[:, None] * weights[None, :], step)
        stats = gradient_stats(gram)
        if self.aggregator_name == 'NashMTL':
            stats['solver_kept_previous'] = float(self.solver_kept_previous)
        if bool(torch.isfinite(omega).all()):
            shared_coeffs = (self.scale * omega * weights).tolist()
            stats['fallback'] = 0.0
        else:  # a degenerate Gramian the method cannot weigh: the fixed weights, flagged in the logs
            shared_coeffs = weights.tolist()
            stats['fallback'] = 1.0
        return BalanceResult(shared_coeffs=shared_coeffs, head_weights=weights.tolist(), stats=stats)

    # ------------------------------------------------------------------------------------------------ resume
    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.aggregator is not None:
            weighting = self.aggregator.weighting
            for attr in STATE_ATTRS.get(self.aggregator_name, ()):
                value = getattr(weighting, attr)
                state[attr] = value.tolist() if hasattr(value, 'tolist') else float(value)
        return state

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        attrs = STATE_ATTRS.get(self.aggregator_name, ())
        if self.aggregator is None or not attrs:
            return
        import numpy as np
        weighting = self.aggregator.weighting
        for attr in attrs:
            value = state[attr]
            setattr(weighting, attr, np.asarray(value, dtype=np.float64) if isinstance(value, list) else value)
        if self.aggregator_name == 'NashMTL' and weighting.step > 0:
            # NashMTL builds its cvxpy problem on its first call only (step 0); a restored one builds it now
            weighting._init_optim_problem()
