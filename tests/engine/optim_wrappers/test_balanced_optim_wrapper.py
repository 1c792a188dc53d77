"""BalancedOptimWrapper in a single process: updates against independent computations, clipping, accumulation,
resume, AMP, logging and the mmengine Runner path."""
import copy
import io
from collections import OrderedDict

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper

from projects.TurboTrain.turbotrain.engine.optim_wrappers import BalancedOptimWrapper
from .reference import run_reference, task_gradients
from .toy_multitask import ToyMultiTaskModel, flat_params, make_batches, make_model

STRATEGIES = dict(
    sum=dict(type='sum'),
    pcgrad=dict(type='pcgrad'),
    imtl_g=dict(type='imtl_g'),
    famo=dict(type='famo'),
    turbotrain=dict(type='turbotrain', interval=2),
    turbotrain_loss_rate=dict(type='turbotrain', interval=2, rebalance='loss_rate'),
)
# stateful torchjd methods (their own update counter, warm start from the previous weights) for the resume tests
STATEFUL = dict(
    torchjd_nashmtl=dict(type='torchjd', aggregator='NashMTL', update_weights_every=2),
    interval_nashmtl=dict(type='interval', interval=2, method=dict(type='torchjd', aggregator='NashMTL')),
)


def _wrapper(model, strategy, lr=0.05, optimizer='sgd', **kwargs):
    params = model.parameters()
    opt = torch.optim.SGD(params, lr=lr) if optimizer == 'sgd' else torch.optim.Adam(params, lr=lr)
    return BalancedOptimWrapper(opt, strategy=copy.deepcopy(strategy), **kwargs)


def _train(model, wrapper, batches):
    for batch in batches:
        model.train_step(batch, wrapper)


@pytest.mark.parametrize('name', list(STRATEGIES))
def test_update_matches_independent_computation(name):
    batches = make_batches(5, 6)
    model, reference = make_model(), make_model()
    wrapper = _wrapper(model, STRATEGIES[name])
    _train(model, wrapper, batches)
    ref_state = run_reference(reference, batches, name, lr=0.05, interval=2)
    assert torch.allclose(flat_params(model), flat_params(reference), rtol=1e-10, atol=1e-12)
    if name.startswith('turbotrain'):
        assert wrapper.strategy.weights == pytest.approx(ref_state['weights'], rel=1e-10)
    if name in ('famo', 'turbotrain_loss_rate'):
        assert wrapper.strategy.rates.logits == pytest.approx(ref_state['logits'], rel=1e-10)
    assert wrapper._num_updates == 5


def test_toy_batches_do_conflict():
    """The toy data must exercise the projection (otherwise the tests above prove little)."""
    hub = MessageHub.get_instance('conflict_check')
    model = make_model()
    wrapper = _wrapper(model, dict(type='turbotrain', interval=1))
    _train(model, wrapper, make_batches(4, 6))
    assert wrapper.strategy.num_conflicts >= 1
    assert hub.get_scalar('train/balance/cos').min() < 0


def test_without_task_losses_equals_optim_wrapper():
    class Plain(ToyMultiTaskModel):
        def parse_losses(self, losses):
            return super(ToyMultiTaskModel, self).parse_losses(losses)

    torch.manual_seed(0)
    model = Plain().double()
    reference = copy.deepcopy(model)
    wrapper = _wrapper(model, dict(type='turbotrain', interval=1), clip_grad=dict(max_norm=0.1))
    plain = OptimWrapper(torch.optim.SGD(reference.parameters(), lr=0.05), clip_grad=dict(max_norm=0.1))
    batches = make_batches(3, 6)
    _train(model, wrapper, batches)
    _train(reference, plain, batches)
    assert torch.equal(flat_params(model), flat_params(reference))


@pytest.mark.parametrize('name', ['turbotrain', 'turbotrain_loss_rate', 'pcgrad', 'sum'])
def test_clipping_applies_to_combined_gradient(name):
    hub = MessageHub.get_instance(f'clip_{name}')
    batches = make_batches(3, 6)
    model, reference = make_model(), make_model()
    wrapper = _wrapper(model, STRATEGIES[name], clip_grad=dict(max_norm=0.05))
    _train(model, wrapper, batches)
    run_reference(reference, batches, name, lr=0.05, interval=2, max_norm=0.05)
    assert torch.allclose(flat_params(model), flat_params(reference), rtol=1e-10, atol=1e-12)
    assert hub.get_scalar('train/grad_norm').current() > 0.05  # clipping was active


@pytest.mark.parametrize('name', ['turbotrain', 'pcgrad', 'sum'])
def test_accumulation_equals_larger_batch(name):
    """Two micro-batches of 3 with accumulative_counts=2 == one batch of 6 (per-task gradients accumulated)."""
    batches = make_batches(8, 3)
    model, reference = make_model(), make_model()
    wrapper = _wrapper(model, STRATEGIES[name], accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, len(batches))
    _train(model, wrapper, batches)
    run_reference(reference, batches, name, lr=0.05, interval=2, accumulate=2)
    assert torch.allclose(flat_params(model), flat_params(reference), rtol=1e-10, atol=1e-12)
    assert wrapper._num_updates == 4


@pytest.mark.parametrize('name', ['turbotrain', 'turbotrain_loss_rate', 'famo', 'pcgrad', *STATEFUL])
def test_resume_continues_identically(name):
    strategy = STATEFUL[name] if name in STATEFUL else dict(
        STRATEGIES[name], **({'interval': 3} if name.startswith('turbotrain') else {}))
    batches = make_batches(8, 6)
    straight = make_model()
    straight_wrapper = _wrapper(straight, strategy, lr=0.01, optimizer='adam')
    _train(straight, straight_wrapper, batches)

    first = make_model()
    first_wrapper = _wrapper(first, strategy, lr=0.01, optimizer='adam')
    _train(first, first_wrapper, batches[:4])
    buffer = io.BytesIO()
    torch.save(dict(model=first.state_dict(), optim=first_wrapper.state_dict()), buffer)
    buffer.seek(0)
    checkpoint = torch.load(buffer, weights_only=False)

    resumed = make_model(seed=123)  # different init: everything must come from the checkpoint
    resumed.load_state_dict(checkpoint['model'])
    resumed_wrapper = _wrapper(resumed, strategy, lr=0.01, optimizer='adam')
    resumed_wrapper.load_state_dict(checkpoint['optim'])
    _train(resumed, resumed_wrapper, batches[4:])

    assert torch.equal(flat_params(resumed), flat_params(straight))
    assert resumed_wrapper.state_dict()['balance'] == straight_wrapper.state_dict()['balance']


def test_logs_conflict_statistics():
    hub = MessageHub.get_instance('balance_logs')
    model = make_model()
    wrapper = _wrapper(model, dict(type='turbotrain', interval=2))
    _train(model, wrapper, make_batches(3, 6))
    scalars = hub.log_scalars
    for key in ('cos', 'cos_min', 'norm_ratio', 'conflict_frac', 'weight_det', 'weight_pred'):
        assert f'train/balance/{key}' in scalars, key
    assert len(scalars['train/balance/cos'].data[0]) == 2  # suppressing updates 0 and 2 only
    assert len(scalars['train/balance/weight_det'].data[0]) == 3  # weights every update


def test_logs_task_gradient_norms_and_shared_coefficients():
    """``grad_norm_{task}`` and ``shared_coeff_{task}`` against the trunk gradients by ``torch.autograd.grad``; with
    PCGrad (weights 1) the coefficient is ``1 + max(0, -cos) * |g_j| / |g_k|``, 1 where the tasks agree."""
    hub = MessageHub.get_instance('balance_task_logs')
    model = make_model()
    wrapper = _wrapper(model, dict(type='pcgrad'))
    expected_norms, expected_coeffs = [], []
    batches = make_batches(4, 6)
    agreeing = dict(batches[0], pred_target=torch.cat([-batches[0]['det_target'], batches[0]['inputs'][:, 1:2]], 1))
    for batch in batches + [agreeing]:  # the toy batches conflict; the negated target agrees (head weights negated)
        grads, shared, _ = task_gradients(copy.deepcopy(model), batch)
        det, pred = grads[0, shared], grads[1, shared]
        norms = torch.stack([det.norm(), pred.norm()])
        conflict = max(0.0, -float(det @ pred / (norms[0] * norms[1])))
        expected_norms.append(norms.tolist())
        expected_coeffs.append([1 + conflict * float(norms[1] / norms[0]), 1 + conflict * float(norms[0] / norms[1])])
        model.train_step(batch, wrapper)

    def logged(key):
        return torch.stack([torch.as_tensor(hub.log_scalars[f'train/balance/{key}_{name}'].data[0],
                                            dtype=torch.float64) for name in ('det', 'pred')], dim=1)

    coeffs = torch.tensor(expected_coeffs, dtype=torch.float64)
    assert torch.allclose(logged('grad_norm'), torch.tensor(expected_norms, dtype=torch.float64), rtol=1e-9)
    assert torch.allclose(logged('shared_coeff'), coeffs, rtol=1e-9)
    assert (coeffs[:4] > 1.4).all() and (coeffs[4] == 1).all()


def test_amp_bfloat16_autocast_on_cpu():
    model = ToyMultiTaskModel()  # float32: autocast applies
    wrapper = _wrapper(model, dict(type='turbotrain', interval=2), use_amp=True)
    assert wrapper.loss_scaler is None and wrapper.amp_dtype == torch.bfloat16
    with wrapper.optim_context(model):
        det, _ = model(torch.randn(2, 3), mode='predict')
    assert det.dtype == torch.bfloat16
    before = flat_params(model).clone()
    batches = [{k: v.float() for k, v in b.items()} for b in make_batches(3, 6)]
    _train(model, wrapper, batches)
    after = flat_params(model)
    assert torch.isfinite(after).all() and not torch.equal(before, after)


@pytest.mark.parametrize('name', ['turbotrain', 'sum'])
def test_grad_scaler_path_equals_unscaled(name):
    """float16 GradScaler with a fixed power-of-two scale: float64 ops are not autocast, so the scaled update must
    equal the unscaled one (scale each task loss, unscale before the combination)."""
    batches = make_batches(4, 6)
    model, reference = make_model(), make_model()
    wrapper = _wrapper(model, STRATEGIES[name], use_amp=True, amp_dtype='float16', loss_scale=1024.,
                       clip_grad=dict(max_norm=0.05))
    assert wrapper.loss_scaler is not None
    plain = _wrapper(reference, STRATEGIES[name], clip_grad=dict(max_norm=0.05))
    _train(model, wrapper, batches)
    _train(reference, plain, batches)
    assert torch.allclose(flat_params(model), flat_params(reference), rtol=1e-12, atol=1e-14)
    assert wrapper.state_dict()['loss_scaler']['scale'] == 1024.


def test_grad_scaler_skips_non_finite_conflict_step():
    model = make_model()
    wrapper = _wrapper(model, dict(type='turbotrain', interval=2), use_amp=True, amp_dtype='float16')
    scale = wrapper.loss_scaler.get_scale()
    bad = make_batches(1, 6)[0]
    bad['det_target'] = bad['det_target'] * float('inf')
    before = flat_params(model).clone()
    model.train_step(bad, wrapper)  # update 0: suppressing, non-finite
    assert torch.equal(flat_params(model), before)
    assert wrapper.loss_scaler.get_scale() == scale / 2
    assert wrapper.strategy.num_suppressing == 0 and wrapper.strategy.weights == [1.0, 1.0]
    model.train_step(make_batches(1, 6)[0], wrapper)  # update 1: free, finite
    assert not torch.equal(flat_params(model), before)


def test_task_losses_order_must_not_change():
    model = make_model()
    wrapper = _wrapper(model, dict(type='sum'))
    wrapper.register_model(model)
    loss = torch.zeros((), requires_grad=True) * 1
    loss.task_losses = OrderedDict(det=loss, pred=loss)
    wrapper.update_params(loss)
    loss = torch.zeros((), requires_grad=True) * 1
    loss.task_losses = OrderedDict(pred=loss, det=loss)
    with pytest.raises(ValueError):
        wrapper.update_params(loss)


def test_missing_shared_module_is_reported():
    model = torch.nn.Linear(2, 2)
    wrapper = _wrapper(model, dict(type='turbotrain'))
    with pytest.raises(AttributeError, match='trunk'):
        wrapper.register_model(model)


def _runner(work_dir, max_iters, strategy, seed=0, **kwargs):
    from mmengine.runner import Runner
    from torch.utils.data import DataLoader
    samples = []
    for batch in make_batches(max(max_iters, 4), 4):
        samples += [{k: v[i] for k, v in batch.items()} for i in range(4)]
    return Runner(
        model=make_model(seed),
        work_dir=str(work_dir),
        train_dataloader=DataLoader(samples, batch_size=4, shuffle=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=1000),
        optim_wrapper=dict(type='BalancedOptimWrapper', optimizer=dict(type='AdamW', lr=0.01),
                           strategy=strategy, clip_grad=dict(max_norm=10.)),
        default_scope='mmdet3d',
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=3, by_epoch=False)),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        **kwargs)


def test_runner_builds_wrapper_from_mmdet3d_scope(tmp_path):
    """The config path: default_scope='mmdet3d', type='BalancedOptimWrapper', logs reach the Runner's hub."""
    runner = _runner(tmp_path, 4, dict(type='turbotrain', interval=2))
    runner.train()
    assert type(runner.optim_wrapper) is BalancedOptimWrapper
    assert runner.optim_wrapper._num_updates == 4
    assert 'train/balance/cos' in runner.message_hub.log_scalars


@pytest.mark.parametrize('strategy', [dict(type='turbotrain', interval=2), dict(type='famo'),
                                      dict(type='turbotrain', interval=2, rebalance='loss_rate'),
                                      STATEFUL['interval_nashmtl']])
def test_runner_resume_continues_identically(tmp_path, strategy):
    """``--resume``: 6 iterations straight == 3, checkpoint, new Runner with resume=True, 3 more."""
    straight = _runner(tmp_path / 'straight', 6, copy.deepcopy(strategy))
    straight.train()
    _runner(tmp_path / 'first', 3, copy.deepcopy(strategy)).train()
    # another init: only a real resume (model, optimizer, wrapper state, iteration) can match
    resumed = _runner(tmp_path / 'first', 6, copy.deepcopy(strategy), seed=1, resume=True,
                      load_from=str(tmp_path / 'first' / 'iter_3.pth'))
    resumed.train()
    assert resumed.iter == 6 and resumed.optim_wrapper._num_updates == 6
    assert torch.equal(flat_params(resumed.model), flat_params(straight.model))
    assert resumed.optim_wrapper.state_dict()['balance'] == straight.optim_wrapper.state_dict()['balance']
