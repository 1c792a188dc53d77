"""Strategies on hand-made gradients: hand-computed 2-D numbers and the formulas written out on vectors."""
import math
from pathlib import Path

import pytest
import torch

from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import (
    BALANCE_STRATEGIES, build_strategy, gradient_stats, project_conflicts)


def _gram(*vectors):
    stacked = torch.stack([torch.as_tensor(v, dtype=torch.float64) for v in vectors])
    return stacked @ stacked.T, stacked


def _combined(strategy, vectors, step=0):
    gram, stacked = _gram(*vectors)
    result = strategy.combine(gram, step)
    return torch.tensor(result.shared_coeffs, dtype=torch.float64) @ stacked, result


def _strategy(cfg, tasks=('det', 'pred')):
    strategy = build_strategy(cfg)
    strategy.setup(list(tasks))
    return strategy


def test_registry_names():
    assert {'sum', 'pcgrad', 'imtl_g', 'famo', 'turbotrain'} <= set(BALANCE_STRATEGIES.module_dict)
    with pytest.raises(KeyError):
        build_strategy(dict(type='nope'))


def test_a_key_of_another_strategy_is_an_error_naming_it():
    # what `--cfg-options optim_wrapper.strategy.type=sum` leaves on a TurboTrain config
    with pytest.raises(TypeError, match=r"'sum' does not take interval, warmup \(it takes: task_weights\)"):
        build_strategy(dict(type='sum', interval=10, warmup=100))


def test_child_config_switches_the_strategy_with_delete(tmp_path):
    from mmengine.config import Config
    repo = Path(__file__).resolve().parents[3]
    child = tmp_path / 'demo_turbotrain_sum.py'
    child.write_text(f"_base_ = ['{repo}/projects/TurboTrain/configs/demo_turbotrain.py']\n"
                     "optim_wrapper = dict(strategy=dict(_delete_=True, type='sum'))\n")
    strategy = build_strategy(Config.fromfile(str(child)).optim_wrapper.strategy)
    assert type(strategy) is BALANCE_STRATEGIES.get('sum')


def test_pcgrad_projection_hand_computed():
    # g1 = (1, 0), g2 = (-1, 1): g1·g2 = -1, |g2|² = 2, |g1|² = 1
    # g1' = g1 + 0.5 g2 = (0.5, 0.5); g2' = g2 + 1 g1 = (0, 1); sum = (0.5, 1.5)
    combined, _ = _combined(_strategy(dict(type='pcgrad')), [(1., 0.), (-1., 1.)])
    assert torch.allclose(combined, torch.tensor([0.5, 1.5], dtype=torch.float64))
    gram, _ = _gram((1., 0.), (-1., 1.))
    coeffs = project_conflicts(gram, [[1], [0]])
    assert torch.allclose(coeffs, torch.tensor([[1., 0.5], [1., 1.]], dtype=torch.float64))


@pytest.mark.parametrize('cfg', [dict(type='pcgrad'), dict(type='turbotrain', balance_power=0.0),
                                 dict(type='sum')])
def test_no_change_when_gradients_agree(cfg):
    vectors = [(1., 0., 2.), (1., 1., 0.5)]  # cosine > 0
    combined, _ = _combined(_strategy(cfg), vectors)
    assert torch.allclose(combined, torch.tensor(vectors, dtype=torch.float64).sum(0))


def test_pcgrad_formula_three_tasks_random_order():
    generator = torch.Generator().manual_seed(3)
    vectors = torch.randn(3, 6, generator=generator, dtype=torch.float64)
    strategy = _strategy(dict(type='pcgrad', seed=7), tasks=('a', 'b', 'c'))
    for step in range(4):
        combined, _ = _combined(strategy, list(vectors), step)
        orders = strategy.visiting_orders(step)
        expected = torch.zeros(6, dtype=torch.float64)
        for i in range(3):
            projected = vectors[i].clone()
            for j in orders[i]:
                dot = projected @ vectors[j]
                if dot < 0:
                    projected = projected - dot / (vectors[j] @ vectors[j]) * vectors[j]
            expected += projected
        assert torch.allclose(combined, expected)
        assert sorted(orders[0]) == [1, 2]


def test_imtl_g_hand_computed_and_equal_projections():
    # g1 = (1, 0), g2 = (0, 2): α2 = g1·(u1-u2) / ((g1-g2)·(u1-u2)) = 1 / 3, α1 = 2/3, g = (2/3, 2/3),
    # scaled by Σw = 2 -> (4/3, 4/3)
    combined, _ = _combined(_strategy(dict(type='imtl_g')), [(1., 0.), (0., 2.)])
    assert torch.allclose(combined, torch.tensor([4 / 3, 4 / 3], dtype=torch.float64))

    generator = torch.Generator().manual_seed(0)
    vectors = torch.randn(3, 8, generator=generator, dtype=torch.float64)
    combined, result = _combined(_strategy(dict(type='imtl_g'), ('a', 'b', 'c')), list(vectors))
    units = vectors / vectors.norm(dim=1, keepdim=True)
    projections = units @ combined
    assert torch.allclose(projections, projections[0].expand(3))
    # the paper's closed form on the vectors themselves
    d = vectors[0] - vectors[1:]
    u = units[0] - units[1:]
    alpha_rest = (vectors[0] @ u.T) @ torch.linalg.inv(d @ u.T)
    alpha = torch.cat([1 - alpha_rest.sum(0, keepdim=True), alpha_rest]) * 3
    assert torch.allclose(torch.tensor(result.shared_coeffs, dtype=torch.float64), alpha)


def test_imtl_g_singular_falls_back_to_fixed_weights():
    combined, result = _combined(_strategy(dict(type='imtl_g')), [(1., 0.), (0., 0.)])
    assert result.stats['singular'] == 1.0
    assert torch.allclose(combined, torch.tensor([1., 0.], dtype=torch.float64))


def test_turbotrain_hand_computed():
    # g1 = (2, 0), g2 = (-1, 1): norms 2, √2, r ∝ (1/2, 1/√2), Σr = 2  -> both weighted norms n = 2/(0.5+1/√2)
    # h1 = n(1, 0), h2 = n(-1, 1)/√2, cos = -1/√2: h1' = n(0.5, 0.5), h2' = n(0, 1/√2)
    strategy = _strategy(dict(type='turbotrain', interval=4))
    combined, result = _combined(strategy, [(2., 0.), (-1., 1.)])
    n = 2 / (0.5 + 1 / math.sqrt(2))
    assert torch.allclose(combined, torch.tensor([0.5 * n, (0.5 + 1 / math.sqrt(2)) * n],
                                                 dtype=torch.float64))
    assert combined[1].item() == pytest.approx(2.0)
    assert strategy.weights == pytest.approx([0.5 * n / 1.0, n / math.sqrt(2)])
    assert result.head_weights == pytest.approx(strategy.weights)
    assert result.stats['cos'] == pytest.approx(-1 / math.sqrt(2))
    assert result.stats['norm_ratio'] == pytest.approx(math.sqrt(2))
    assert result.stats['conflict_frac'] == 1.0
    # carried to free steps
    assert strategy.loss_weights() == pytest.approx(strategy.weights)
    assert [strategy.uses_task_grads(s) for s in range(6)] == [True, False, False, False, True, False]
    # an agreeing pair: no projection, conflict fraction drops to 1/2
    strategy.combine(_gram((1., 0.), (1., 1.))[0], 4)
    assert strategy.num_conflicts == 1 and strategy.num_suppressing == 2


def test_turbotrain_warmup_keeps_the_fixed_weights_then_suppresses_every_interval():
    strategy = _strategy(dict(type='turbotrain', interval=3, warmup=5, task_weights=dict(det=2.0)))
    assert [s for s in range(13) if strategy.uses_task_grads(s)] == [5, 8, 11]
    assert strategy.loss_weights() == [2.0, 1.0]  # free updates of the warm-up: the fixed weights
    strategy.combine(_gram((4., 0.), (0., 1.))[0], 5)  # norms 4 and 1: r ∝ (2/4, 1/1), Σ r = 3
    assert strategy.loss_weights() == pytest.approx([1.0, 2.0])
    assert _strategy(dict(type='turbotrain', interval=3)).uses_task_grads(0)  # default: no warm-up
    with pytest.raises(AssertionError, match='warmup'):
        _strategy(dict(type='turbotrain', warmup=-1))


def test_turbotrain_warmup_weights_lead_the_warmup_only():
    """warmup_weights set the free updates of the warm-up; the first suppressing update re-balances towards the
    task weights as without them."""
    strategy = _strategy(dict(type='turbotrain', interval=3, warmup=5, warmup_weights=dict(pred=10.0)))
    assert strategy.loss_weights() == [1.0, 10.0]
    strategy.combine(_gram((4., 0.), (0., 1.))[0], 5)  # norms 4 and 1: r ∝ (1/4, 1/1), Σ r = Σ w = 2
    assert strategy.loss_weights() == pytest.approx([0.4, 1.6])


def test_turbotrain_formula_random_with_momentum():
    generator = torch.Generator().manual_seed(5)
    strategy = _strategy(dict(type='turbotrain', balance_power=0.5, momentum=0.3,
                              task_weights=dict(det=2.0)))
    carried = torch.tensor([2.0, 1.0], dtype=torch.float64)
    for step in range(3):
        vectors = torch.randn(2, 5, generator=generator, dtype=torch.float64)
        combined, _ = _combined(strategy, list(vectors), step)
        norms = vectors.norm(dim=1)
        raw = torch.tensor([2.0, 1.0], dtype=torch.float64) * norms**-0.5
        raw = raw * 3.0 / raw.sum()
        carried = 0.3 * carried + 0.7 * raw
        h = carried[:, None] * vectors
        dot = h[0] @ h[1]
        if dot < 0:
            expected = (h[0] - dot / (h[1] @ h[1]) * h[1]) + (h[1] - dot / (h[0] @ h[0]) * h[0])
        else:
            expected = h[0] + h[1]
        assert torch.allclose(combined, expected)
        assert torch.allclose(torch.tensor(strategy.weights, dtype=torch.float64), carried)


def test_turbotrain_max_norm_ratio_scales_down_only_a_dominating_task():
    # norms 1 and 6, τ = 2: excess (1, 6/2) = (1, 3), p = 1: r ∝ (1, 1/3), Σ r = 2 -> (1.5, 0.5); the weighted norms
    # 1.5 and 3 are exactly τ apart
    strategy = _strategy(dict(type='turbotrain', max_norm_ratio=2.0))
    strategy.combine(_gram((0., 1.), (6., 0.))[0], 0)
    assert strategy.weights == pytest.approx([1.5, 0.5])
    # within the tolerance (norms 1 and 1.8): the fixed weights, here 2 and 1, are kept
    strategy = _strategy(dict(type='turbotrain', max_norm_ratio=2.0, task_weights=dict(det=2.0)))
    strategy.combine(_gram((1.8, 0.), (0., 1.))[0], 0)
    assert strategy.weights == pytest.approx([2.0, 1.0])
    # the ratio counts raw norms; with p = 0.5: norms 8 and 1, τ = 2, excess (4, 1): r ∝ (2 · 4^-0.5, 1) = (1, 1)
    strategy = _strategy(dict(type='turbotrain', max_norm_ratio=2.0, balance_power=0.5, task_weights=dict(det=2.0)))
    strategy.combine(_gram((8., 0.), (0., 1.))[0], 0)
    assert strategy.weights == pytest.approx([1.5, 1.5])
    with pytest.raises(AssertionError, match='max_norm_ratio must be >= 1'):
        _strategy(dict(type='turbotrain', max_norm_ratio=0.5))


def test_turbotrain_max_norm_ratio_three_tasks_formula_and_infinity_is_sum():
    generator = torch.Generator().manual_seed(3)
    tasks = ('det', 'pred', 'aux')
    fixed = [2.0, 1.0, 0.5]
    weights = dict(det=2.0, aux=0.5)
    scales = torch.tensor([[1.], [4.], [0.3]], dtype=torch.float64)  # some tasks within τ, some not
    for _ in range(3):
        vectors = torch.randn(3, 4, generator=generator, dtype=torch.float64) * scales
        strategy = _strategy(dict(type='turbotrain', task_weights=weights, max_norm_ratio=1.5, project=False), tasks)
        combined, _ = _combined(strategy, list(vectors))
        norms = [math.sqrt(sum(x * x for x in v.tolist())) for v in vectors]
        raw = [w / max(1.0, n / (1.5 * min(norms))) for w, n in zip(fixed, norms)]
        expected = [r * sum(fixed) / sum(raw) for r in raw]
        assert strategy.weights == pytest.approx(expected)
        assert torch.allclose(combined, torch.tensor(expected, dtype=torch.float64) @ vectors)
        free, _ = _combined(_strategy(dict(type='turbotrain', task_weights=weights, max_norm_ratio=math.inf,
                                           project=False), tasks), list(vectors))
        plain, _ = _combined(_strategy(dict(type='sum', task_weights=weights), tasks), list(vectors))
        assert torch.allclose(free, plain)


def test_turbotrain_rebalance_only_on_conflict():
    """Agreeing gradients keep (or return to) the fixed weights however unequal their norms; conflicting ones are
    re-balanced as without the option; with momentum the return to the fixed weights is smoothed."""
    options = dict(type='turbotrain', rebalance_only_on_conflict=True, task_weights=dict(det=2.0))
    strategy = _strategy(options)
    # norms 4 and 1, cos = +0.6 (no conflict): the fixed weights (2, 1); the plain rule would give (1, 2)
    agree = ((4., 0.), (0.6, 0.8))
    combined, result = _combined(strategy, agree)
    assert strategy.weights == pytest.approx([2.0, 1.0]) and result.stats['conflict'] == 0.0
    assert torch.allclose(combined, torch.tensor([8.6, 0.8], dtype=torch.float64))  # 2·g1 + g2, nothing projected
    plain = _strategy(dict(options, rebalance_only_on_conflict=False))
    plain.combine(_gram(*agree)[0], 0)
    assert plain.weights == pytest.approx([1.0, 2.0])
    # norms 4 and 1, cos = −0.6: re-balanced exactly as without the option, then projected
    oppose = ((4., 0.), (-0.6, 0.8))
    combined, result = _combined(strategy, oppose, step=10)
    reference, _ = _combined(_strategy(dict(options, rebalance_only_on_conflict=False)), oppose)
    assert strategy.weights == pytest.approx([1.0, 2.0]) and result.stats['conflict'] == 1.0
    assert torch.allclose(combined, reference)
    # agreeing again: back to the fixed weights (momentum 0), or part of the way (momentum 0.5: (1.5, 1.5))
    strategy.combine(_gram(*agree)[0], 20)
    assert strategy.weights == pytest.approx([2.0, 1.0])
    smoothed = _strategy(dict(options, momentum=0.5))
    smoothed.weights = [1.0, 2.0]
    smoothed.combine(_gram(*agree)[0], 0)
    assert smoothed.weights == pytest.approx([1.5, 1.5])


@pytest.mark.parametrize('scale', [0.01, 10.0, 1000.0])
def test_turbotrain_update_direction_ignores_a_task_loss_scale(scale):
    """With balance_power=1, scaling one task's loss (so its gradient) by c leaves the direction of the combined
    shared gradient unchanged (equal weighted norms, then projections of equal-norm vectors); only its length
    changes, through the normalisation Σλ = Σw. `sum` has no such invariance."""
    generator = torch.Generator().manual_seed(11)
    for _ in range(4):
        det, pred = torch.randn(2, 6, generator=generator, dtype=torch.float64)
        reference, _ = _combined(_strategy(dict(type='turbotrain')), [det, pred])
        scaled, _ = _combined(_strategy(dict(type='turbotrain')), [det, scale * pred])
        assert torch.allclose(scaled / scaled.norm(), reference / reference.norm())
        plain, _ = _combined(_strategy(dict(type='sum')), [det, scale * pred])
        assert not torch.allclose(plain / plain.norm(), reference / reference.norm(), atol=1e-3)


def test_famo_weights_and_logit_update():
    strategy = _strategy(dict(type='famo', lr=0.5, weight_decay=0.1))
    first = torch.tensor([2.0, 0.5], dtype=torch.float64)
    weights = strategy.loss_weights(first, True)
    # z = (1/2, 1/2): c = 1 / (0.25 + 1) = 0.8; w = 2 · c · z / ℓ = (0.4, 1.6)
    assert weights == pytest.approx([0.4, 1.6])
    second = torch.tensor([1.0, 0.4], dtype=torch.float64)
    weights = strategy.loss_weights(second, True)
    logits = torch.tensor([math.log(0.5), math.log(0.5)], dtype=torch.float64)
    z = logits.softmax(0)
    delta = first.log() - second.log()
    jacobian = torch.diag(z) - z[:, None] * z[None, :]
    logits = logits - 0.5 * (jacobian.T @ delta + 0.1 * logits)
    assert strategy.rates.logits == pytest.approx(logits.tolist())
    z = logits.softmax(0)
    expected = 2 * (z / second) / (z / second).sum()
    assert weights == pytest.approx(expected.tolist())
    # the task whose log-loss fell more (det: log 2 vs pred: log 1.25) loses weight share
    assert z[0] < z[1]
    # micro-steps inside a window do not move the logits
    strategy.loss_weights(second * 0.5, False)
    assert strategy.rates.logits == pytest.approx(logits.tolist())


def test_turbotrain_loss_rate_hand_computed():
    """rebalance='loss_rate': FAMO's weights, then the conflicting weighted gradients projected."""
    strategy = _strategy(dict(type='turbotrain', interval=2, rebalance='loss_rate', rate_lr=0.5,
                              rate_weight_decay=0.1))
    assert strategy.needs_loss_values
    losses = torch.tensor([2.0, 0.5], dtype=torch.float64)
    # z = (1/2, 1/2): c = 1 / (0.25 + 1) = 0.8; w = 2 · c · z / ℓ = (0.4, 1.6), as FAMO
    assert strategy.loss_weights(losses, True) == pytest.approx([0.4, 1.6])
    # h_det = (0.4, 0), h_pred = (−1.6, 1.6), h_det·h_pred = −0.64:
    # h_det − (−0.64 / 5.12) h_pred = (0.2, 0.2); h_pred − (−0.64 / 0.16) h_det = (0, 1.6)
    combined, result = _combined_with_losses(strategy, [(1., 0.), (-1., 1.)], losses)
    assert combined.tolist() == pytest.approx([0.2, 1.8])
    assert result.head_weights == pytest.approx([0.4, 1.6])
    assert result.stats['conflict'] == 1.0
    # the next update's losses move the logits exactly as FAMO's (same rule, same state)
    famo = _strategy(dict(type='famo', lr=0.5, weight_decay=0.1))
    famo.loss_weights(losses, True)
    second = torch.tensor([1.0, 0.4], dtype=torch.float64)
    assert strategy.loss_weights(second, True) == pytest.approx(famo.loss_weights(second, True))
    assert strategy.rates.logits == pytest.approx(famo.rates.logits)
    assert strategy.weights == pytest.approx(famo.loss_weights(second, False))


def _combined_with_losses(strategy, vectors, losses):
    gram, stacked = _gram(*vectors)
    result = strategy.combine(gram, 0, losses)
    return torch.tensor(result.shared_coeffs, dtype=torch.float64) @ stacked, result


@pytest.mark.parametrize('options, message', [
    (dict(rebalance='norm'), r"rebalance must be one of \('grad_norm', 'loss_rate'\), got 'norm'"),
    (dict(rebalance='loss_rate', max_norm_ratio=2.0, momentum=0.5),
     r"max_norm_ratio, momentum belong to rebalance='grad_norm'"),
])
def test_turbotrain_rebalance_options_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        build_strategy(dict(type='turbotrain', **options))


@pytest.mark.parametrize('cfg', [dict(type='famo'), dict(type='turbotrain', rebalance='loss_rate')])
def test_loss_rate_weighting_rejects_a_zero_task_weight(cfg):
    with pytest.raises(ValueError, match=r"needs positive task_weights.*\{'det': 1.0, 'pred': 0.0\}"):
        _strategy(dict(cfg, task_weights=dict(pred=0.0)))


def test_state_round_trip():
    strategy = _strategy(dict(type='turbotrain'))
    strategy.combine(_gram((2., 0.), (-1., 1.))[0], 0)
    restored = build_strategy(dict(type='turbotrain'))
    restored.load_state_dict(strategy.state_dict())
    assert restored.state_dict() == strategy.state_dict()
    loss_rate = _strategy(dict(type='turbotrain', rebalance='loss_rate'))
    loss_rate.loss_weights(torch.tensor([1.0, 2.0], dtype=torch.float64), True)
    loss_rate.combine(_gram((2., 0.), (-1., 1.))[0], 0, torch.tensor([1.0, 2.0], dtype=torch.float64))
    restored = build_strategy(dict(type='turbotrain', rebalance='loss_rate'))
    restored.load_state_dict(loss_rate.state_dict())
    assert restored.state_dict() == loss_rate.state_dict()
    assert restored.state_dict()['prev_log_losses'] == pytest.approx([0.0, math.log(2.0)])
    famo = _strategy(dict(type='famo'))
    famo.loss_weights(torch.tensor([1.0, 2.0], dtype=torch.float64), True)
    restored = build_strategy(dict(type='famo'))
    restored.load_state_dict(famo.state_dict())
    assert restored.state_dict() == famo.state_dict()
    with pytest.raises(ValueError):
        restored.setup(['pred', 'det'])


def test_gradient_stats_zero_gradient():
    stats = gradient_stats(_gram((1., 0.), (0., 0.))[0])
    assert stats['cos'] == 0.0 and math.isinf(stats['norm_ratio'])


@pytest.mark.parametrize('name', ['sum', 'pcgrad', 'imtl_g', 'turbotrain'])
def test_single_task_is_plain_gradient(name):
    """One task (e.g. ``recon`` in pretraining): every strategy returns the task's own gradient."""
    combined, _ = _combined(_strategy(dict(type=name), tasks=('recon', )), [(3., -4.)])
    assert torch.allclose(combined, torch.tensor([3., -4.], dtype=torch.float64))
    famo = _strategy(dict(type='famo'), tasks=('recon', ))
    assert famo.loss_weights(torch.tensor([0.7], dtype=torch.float64), True) == pytest.approx([1.0])
