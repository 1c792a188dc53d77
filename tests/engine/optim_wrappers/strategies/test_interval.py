"""``interval``: TurboTrain's schedule for any gradient-combining method, on hand-made Gram matrices and in the
wrapper against an independent computation (torchjd called directly on the per-task gradients)."""
import pytest
import torch
from torchjd import aggregation

from projects.TurboTrain.turbotrain.engine.optim_wrappers import BalancedOptimWrapper
from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
from ..reference import apply_sgd, task_gradients
from ..toy_multitask import flat_params, make_batches, make_model


def _strategy(cfg, tasks=('det', 'pred')):
    strategy = build_strategy(cfg)
    strategy.setup(list(tasks))
    return strategy


def _gram(seed):
    rows = torch.randn(2, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return rows @ rows.T


@pytest.mark.parametrize('method', [dict(type='pcgrad'), dict(type='imtl_g'),
                                    dict(type='torchjd', aggregator='UPGrad'),
                                    dict(type='torchjd', aggregator='NashMTL')])
def test_interval_one_is_the_method(method):
    scheduled = _strategy(dict(type='interval', interval=1, method=dict(method)))
    plain = _strategy(dict(method))
    for step in range(4):
        assert scheduled.uses_task_grads(step)
        gram = _gram(step)
        assert scheduled.combine(gram, step) == plain.combine(gram, step)


def test_free_updates_carry_the_last_coefficients():
    strategy = _strategy(dict(type='interval', interval=3, warmup=2,
                              method=dict(type='imtl_g', task_weights=dict(det=2.0))))
    schedule = [strategy.uses_task_grads(step) for step in range(9)]
    assert schedule == [False, False, True, False, False, True, False, False, True]
    assert strategy.loss_weights() == [2.0, 1.0]  # warm-up: the method's fixed weights
    gram = torch.tensor([[1.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    result = strategy.combine(gram, 2)
    # IMTL-G on orthogonal g1 = (1, 0), g2 = (0, 2): α ∝ (1, 0.5) so both projections are equal; Σ α = Σ w = 3
    assert result.shared_coeffs == pytest.approx([2.0, 1.0])
    assert result.head_weights == [2.0, 1.0]
    assert strategy.loss_weights() == pytest.approx([2.0, 1.0])
    strategy.combine(torch.tensor([[4.0, 0.0], [0.0, 1.0]], dtype=torch.float64), 5)
    assert strategy.loss_weights() == pytest.approx([1.0, 2.0])


@pytest.mark.parametrize('method', [dict(type='famo'), dict(type='sum'), dict(type='turbotrain'),
                                    dict(type='interval', method=dict(type='pcgrad'))])
def test_methods_without_an_every_update_combination_are_refused(method):
    with pytest.raises(ValueError, match='does not combine task gradients at every update'):
        build_strategy(dict(type='interval', method=method))


def test_state_round_trip_with_the_method_state():
    cfg = dict(type='interval', interval=2, method=dict(type='torchjd', aggregator='NashMTL'))
    strategy = _strategy(cfg)
    for step in range(0, 6, 2):
        strategy.combine(_gram(step), step)
    state = strategy.state_dict()
    assert state['num_suppressing'] == 3 and state['method.step'] == 3.0
    restored = build_strategy(cfg)
    restored.load_state_dict(state)
    assert restored.state_dict() == state
    assert restored.combine(_gram(9), 6) == strategy.combine(_gram(9), 6)


def test_wrapper_update_matches_torchjd_called_on_the_task_gradients():
    """UPGrad every 2 updates, free updates ``Σ c_k L_k`` with its last coefficients, SGD: computed here from the
    per-task gradients of the plain model and torchjd's own weighting."""
    batches, lr = make_batches(5, 6), 0.05
    model, reference = make_model(), make_model()
    wrapper = BalancedOptimWrapper(torch.optim.SGD(model.parameters(), lr=lr), strategy=dict(
        type='interval', interval=2, method=dict(type='torchjd', aggregator='UPGrad')))
    for batch in batches:
        model.train_step(batch, wrapper)

    weighting, coeffs = aggregation.UPGradWeighting(), torch.ones(2, dtype=torch.float64)
    for step, batch in enumerate(batches):
        grads, shared, _ = task_gradients(reference, batch)
        if step % 2 == 0:
            coeffs = weighting(grads[:, shared] @ grads[:, shared].T)
            direction = grads.sum(0)  # heads: the fixed weights
            direction[shared] = coeffs @ grads[:, shared]
        else:
            direction = coeffs @ grads
        apply_sgd(reference, direction, lr)
    assert torch.allclose(flat_params(model), flat_params(reference), rtol=1e-10, atol=1e-12)
    assert wrapper.strategy.loss_weights() == pytest.approx(coeffs.tolist(), rel=1e-10)
