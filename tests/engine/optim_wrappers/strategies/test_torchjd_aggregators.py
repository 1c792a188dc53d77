"""The ``torchjd`` adapter against torchjd itself: its aggregator applied to the Jacobian (the task gradients as
rows), on random 2- and 3-task matrices whose gradients conflict or agree; refused names; the hand-written
strategies that duplicate a torchjd method."""
import pytest
import torch
from torchjd import aggregation

from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies.torchjd_aggregators import (REFUSED, SUPPORTED,
                                                                                                 gram_square_root)

#: each supported aggregator with the arguments it needs; tolerance of the comparison (iterative solvers: CAGrad,
#: FairGrad, NashMTL, whose ECOS solve moves by ~1e-6 for rounding-level changes of the Gramian)
AGGREGATORS = {
    'UPGrad': (dict(), 1e-10), 'DualProj': (dict(), 1e-10), 'AlignedMTL': (dict(), 1e-10),
    'CAGrad': (dict(c=0.4), 1e-7), 'IMTLG': (dict(), 1e-10), 'MGDA': (dict(), 1e-10),
    'FairGrad': (dict(alpha=1.0), 1e-7), 'PCGrad': (dict(), 1e-12), 'NashMTL': (dict(), 1e-5),
    'Mean': (dict(), 1e-12), 'Sum': (dict(), 1e-12)
}
TASKS = {2: ('det', 'pred'), 3: ('det', 'pred', 'seg')}


def jacobian(num_tasks: int, conflict: bool, seed: int) -> torch.Tensor:
    """(K, 12) task gradients: every pair agrees (positive dot products) or each task opposes the first."""
    generator = torch.Generator().manual_seed(seed)
    rows = torch.randn(num_tasks, 12, generator=generator, dtype=torch.float64)
    common = torch.randn(12, generator=generator, dtype=torch.float64)
    if conflict:
        rows[1:] -= 1.5 * rows[0] * (rows[1:] @ rows[0] / (rows[0] @ rows[0]) + 1)[:, None]
    else:
        rows += 4 * common
    gram = rows @ rows.T
    off_diagonal = gram[~torch.eye(num_tasks, dtype=torch.bool)]
    assert bool((off_diagonal < 0).any()) if conflict else bool((off_diagonal > 0).all())
    return rows * torch.linspace(1.0, 3.0, num_tasks, dtype=torch.float64)[:, None]  # unequal norms


def adapter(name: str, num_tasks: int, **kwargs):
    strategy = build_strategy(dict(type='torchjd', aggregator=name, **AGGREGATORS[name][0], **kwargs))
    strategy.setup(list(TASKS[num_tasks]))
    return strategy


def torchjd_aggregator(name: str, num_tasks: int):
    kwargs = dict(AGGREGATORS[name][0])
    if name == 'NashMTL':
        kwargs['n_tasks'] = num_tasks
    return getattr(aggregation, name)(**kwargs)


def combined(strategy, rows: torch.Tensor, step: int = 0) -> torch.Tensor:
    result = strategy.combine(rows @ rows.T, step)
    return torch.tensor(result.shared_coeffs, dtype=torch.float64) @ rows


def expected(aggregator, rows: torch.Tensor, seed: int = 0, step: int = 0) -> torch.Tensor:
    """torchjd's aggregation of the Jacobian, with the global RNG seeded as the adapter seeds its own."""
    torch.manual_seed(seed * 1_000_003 + step)
    return aggregator(rows)


def test_every_supported_aggregator_is_tested():
    assert set(AGGREGATORS) == set(SUPPORTED)


@pytest.mark.parametrize('name', list(AGGREGATORS))
@pytest.mark.parametrize('num_tasks', [2, 3])
@pytest.mark.parametrize('conflict', [True, False], ids=['conflict', 'agree'])
def test_combined_gradient_equals_torchjd_on_the_jacobian(name, num_tasks, conflict):
    tolerance = AGGREGATORS[name][1]
    for seed in range(3):
        rows = jacobian(num_tasks, conflict, seed)
        want = expected(torchjd_aggregator(name, num_tasks), rows, step=seed)
        got = combined(adapter(name, num_tasks), rows, step=seed)
        assert torch.allclose(got, want, rtol=tolerance, atol=tolerance * want.norm()), (seed, got, want)


@pytest.mark.parametrize('name', ['UPGrad', 'NashMTL', 'PCGrad'])
def test_task_weights_weigh_the_jacobian_rows(name):
    rows = jacobian(3, True, 4)
    weights = torch.tensor([2.0, 0.5, 1.0], dtype=torch.float64)
    want = expected(torchjd_aggregator(name, 3), weights[:, None] * rows)
    strategy = adapter(name, 3, task_weights=dict(det=2.0, pred=0.5), scale=3.0)
    assert strategy.combine(rows @ rows.T, 0).head_weights == weights.tolist()
    tolerance = AGGREGATORS[name][1]
    assert torch.allclose(combined(strategy, rows), 3.0 * want, rtol=tolerance, atol=tolerance * want.norm())


def test_nashmtl_state_follows_torchjd_over_steps():
    """NashMTL warm-starts from its previous weights and reuses them between its own updates. Its convex solver
    responds to rounding-level differences of the Gramian (the adapter's ``R Rᵀ`` against torchjd's ``J Jᵀ``), so
    the two agree to the solver's tolerance."""
    aggregator = aggregation.NashMTL(n_tasks=3, update_weights_every=2)
    strategy = adapter('NashMTL', 3, update_weights_every=2)
    for step in range(5):
        rows = jacobian(3, step % 2 == 0, 10 + step)
        want = aggregator(rows)
        assert torch.allclose(combined(strategy, rows, step), want, rtol=1e-5, atol=1e-5 * want.norm()), step
    assert strategy.state_dict()['step'] == 5.0


def test_pcgrad_draws_the_same_order_for_a_step_and_leaves_the_global_rng_alone():
    rows = jacobian(3, True, 0)
    strategy = adapter('PCGrad', 3, seed=2)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = [combined(strategy, rows, step) for step in range(6)]
    assert torch.equal(torch.get_rng_state(), before)
    again = adapter('PCGrad', 3, seed=2)
    assert all(torch.equal(combined(again, rows, step), value) for step, value in enumerate(first))
    assert len({tuple(value.tolist()) for value in first}) > 1  # the order does change with the step


def test_gram_square_root():
    rows = jacobian(3, True, 1)
    rows[2] = rows[0] + rows[1]  # rank 2
    gram = rows @ rows.T
    root = gram_square_root(gram)
    assert torch.allclose(root @ root.T, gram, atol=1e-10 * gram.abs().max())


@pytest.mark.parametrize('name', ['GradDrop', 'ConFIG', 'GradVac', 'NotAMethod', 'MoDoWeighting'])
def test_unsupported_name_is_one_clear_error(name):
    with pytest.raises(ValueError) as error:
        build_strategy(dict(type='torchjd', aggregator=name))
    message = str(error.value)
    assert '\n' not in message and repr(name) in message
    assert message.endswith('supported: ' + ', '.join(sorted(SUPPORTED)))
    if name.removesuffix('Weighting') in REFUSED:
        assert REFUSED[name.removesuffix('Weighting')] in message


@pytest.mark.parametrize('cfg, message', [
    (dict(aggregator='CAGrad'), r"'CAGrad' needs c \(it takes: c, norm_eps\)"),
    (dict(aggregator='UPGrad', c=0.4), r"'UPGrad' does not take c \(it takes: pref_vector, projector\)"),
])
def test_aggregator_arguments_are_checked(cfg, message):
    with pytest.raises(TypeError, match=message):
        build_strategy(dict(type='torchjd', **cfg))


def test_nashmtl_n_tasks_must_match_the_model():
    strategy = build_strategy(dict(type='torchjd', aggregator='NashMTL', n_tasks=3))
    with pytest.raises(ValueError, match='n_tasks=3 but the model has 2 tasks'):
        strategy.setup(['det', 'pred'])


def test_pref_vector_and_projector_from_a_config():
    rows = jacobian(2, True, 0)
    strategy = adapter('UPGrad', 2, pref_vector=[0.25, 0.75], projector=dict(reg_eps=1e-6))
    from torchjd.linalg import QuadprogProjector
    want = aggregation.UPGrad(pref_vector=torch.tensor([0.25, 0.75], dtype=torch.float64),
                              projector=QuadprogProjector(reg_eps=1e-6))(rows)
    assert torch.allclose(combined(strategy, rows), want, rtol=1e-10)


# ------------------------------------------------------------- hand-written strategies that duplicate torchjd
# Kept: they need no optional dependency (torchjd's solvers pull cvxpy, quadprog), seed PCGrad's order per update,
# fall back to the fixed weights where IMTL-G is singular, and the configs and archived studies name them.
@pytest.mark.parametrize('num_tasks', [2, 3])
@pytest.mark.parametrize('conflict', [True, False], ids=['conflict', 'agree'])
def test_pcgrad_equals_torchjd_pcgrad_with_the_same_visiting_order(monkeypatch, num_tasks, conflict):
    rows = jacobian(num_tasks, conflict, 7)
    ours = build_strategy(dict(type='pcgrad', seed=5))
    ours.setup(list(TASKS[num_tasks]))
    step = 3
    orders = iter(ours.visiting_orders(step))
    # torchjd draws one permutation per task i and skips i in it: hand it ours
    monkeypatch.setattr(torch, 'randperm', lambda n, **kwargs: torch.tensor([*next(orders)]))
    want = aggregation.PCGrad()(rows)
    monkeypatch.undo()
    assert torch.allclose(combined(ours, rows, step), want, rtol=1e-13, atol=1e-13 * want.norm())


@pytest.mark.parametrize('num_tasks', [2, 3])
@pytest.mark.parametrize('conflict', [True, False], ids=['conflict', 'agree'])
def test_imtl_g_equals_torchjd_imtlg_scaled_to_the_sum_of_weights(num_tasks, conflict):
    rows = jacobian(num_tasks, conflict, 8)
    ours = build_strategy(dict(type='imtl_g'))
    ours.setup(list(TASKS[num_tasks]))
    want = num_tasks * aggregation.IMTLG()(rows)  # ours: Σ α = Σ w = K; torchjd's: Σ α = 1
    assert torch.allclose(combined(ours, rows), want, rtol=1e-12, atol=1e-12 * want.norm())


def test_turbotrain_without_rebalancing_is_pcgrad_on_its_suppressing_updates():
    rows = jacobian(2, True, 9)
    ours = build_strategy(dict(type='turbotrain', interval=1, balance_power=0.0))
    ours.setup(['det', 'pred'])
    want = aggregation.PCGrad()(rows)
    assert torch.allclose(combined(ours, rows), want, rtol=1e-13, atol=1e-13 * want.norm())


@pytest.mark.parametrize('failure', ['stored_negative', 'solver_raises'])
def test_nashmtl_keeps_its_previous_weights_when_a_solve_ends_outside_alpha_positive(monkeypatch, failure):
    """A solve that leaves a negative weight (torchjd 0.18 stores it and its next solve raises "Variable value must
    be nonnegative") keeps the previous weights, as torchjd does on a solver error; the next solve starts from
    them and training goes on."""
    import numpy as np
    strategy = adapter('NashMTL', 2)
    first = jacobian(2, True, 3)
    strategy.combine(first @ first.T, 0)
    assert strategy.combine(first @ first.T, 0).stats['solver_kept_previous'] == 0.0
    weighting = strategy.aggregator.weighting
    previous = np.array(weighting.prvs_alpha, dtype=np.float64)
    assert (previous > 0).all()
    solve = weighting._solve_optimization

    def broken(gtg):
        if failure == 'solver_raises':
            raise ValueError('Variable value must be nonnegative.')
        weighting.prvs_alpha = np.array([previous[0], -1e-9])
        return weighting.prvs_alpha

    monkeypatch.setattr(weighting, '_solve_optimization', broken)
    rows = jacobian(2, True, 4)
    result = strategy.combine(rows @ rows.T, 1)
    assert result.stats['solver_kept_previous'] == 1.0
    np.testing.assert_array_equal(weighting.prvs_alpha, previous)
    # the previous weights, rescaled as torchjd rescales them: ‖α R‖ at most max_norm (1 by default) for R Rᵀ = G
    gram = rows @ rows.T
    omega = torch.as_tensor(previous)
    norm = float(torch.sqrt(omega @ gram @ omega))
    assert result.shared_coeffs == pytest.approx((omega * min(1.0, 1.0 / norm)).tolist(), rel=1e-9)
    monkeypatch.setattr(weighting, '_solve_optimization', solve)
    after = strategy.combine(rows @ rows.T, 2)  # the real solver again, from the kept weights
    assert after.stats['solver_kept_previous'] == 0.0 and (np.asarray(weighting.prvs_alpha) > 0).all()
