"""BalanceLogProcessor: the text line keeps the summary ``balance/*`` keys, the backends' tag keeps all of them."""
from types import SimpleNamespace

from mmengine.logging import MessageHub
from mmengine.runner import LogProcessor

from projects.TurboTrain.turbotrain.engine.log_processors import BalanceLogProcessor

BALANCE = dict(weight_det=0.7, weight_pred=1.3, cos=-0.25, cos_min=-0.25, norm_ratio=2.0, conflict=1.0,
               conflict_frac=0.5, grad_norm_det=3.0, grad_norm_pred=1.5, shared_coeff_det=0.9, shared_coeff_pred=1.4)


def fake_runner():
    """The attributes LogProcessor reads after a training iteration (epoch-based loop, 5 iterations per epoch)."""
    hub = MessageHub.get_instance('test_balance_log_processor')
    for key, value in dict(loss=2.5, loss_det=1.5, loss_pred=1.0, lr=1e-3, time=0.5, data_time=0.1).items():
        hub.update_scalar(f'train/{key}', value)
    for key, value in BALANCE.items():
        hub.update_scalar(f'train/balance/{key}', value)
    loop = SimpleNamespace(dataloader=[None] * 5)
    return SimpleNamespace(message_hub=hub, iter=3, epoch=0, max_epochs=2, _train_loop=loop, train_loop=loop)


def test_text_line_keeps_the_summary_and_the_tag_keeps_everything():
    runner = fake_runner()
    full_tag, full_line = LogProcessor(window_size=1).get_log_after_iter(runner, 3, 'train')
    tag, line = BalanceLogProcessor(window_size=1).get_log_after_iter(runner, 3, 'train')
    assert tag == full_tag and {f'balance/{key}' for key in BALANCE} <= set(tag)
    assert line.startswith('Epoch(train) [1][4/5]')
    assert 'loss: 2.5000  loss_det: 1.5000  loss_pred: 1.0000' in line
    assert 'balance/weight_det: 0.7000  balance/weight_pred: 1.3000' in line and 'balance/cos: -0.2500' in line
    for key in ('cos_min', 'norm_ratio', 'conflict', 'conflict_frac', 'grad_norm_det', 'shared_coeff_pred'):
        assert f'balance/{key}:' in full_line and f'balance/{key}:' not in line
    # everything else of mmengine's line is untouched: only the dropped items are missing
    summary = ('weight_det', 'weight_pred', 'cos')
    dropped = [f'balance/{key}: {BALANCE[key]:.4f}' for key in BALANCE if key not in summary]
    assert line.split('  ') == [item for item in full_line.split('  ') if item not in dropped]


def test_text_keys_are_patterns():
    processor = BalanceLogProcessor(text_keys=('conflict*', ))
    assert processor.keep_in_text('loss_det') and processor.keep_in_text('balance/conflict_frac')
    assert not processor.keep_in_text('balance/weight_det')
