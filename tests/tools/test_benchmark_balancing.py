"""benchmark_balancing.py: every method name builds its strategy; ``--data-root`` reaches every dataloader; an
unconverted data root is a one-line error naming the missing info file (not a traceback from inside the Runner)."""
import importlib.util
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs', 'demo_finetune_balanced.py')
_spec = importlib.util.spec_from_file_location(
    'benchmark_balancing', osp.join(REPO_ROOT, 'tools', 'benchmarks', 'benchmark_balancing.py'))
benchmark_balancing = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_balancing)


def test_data_root_reaches_every_dataloader(tmp_path):
    data_root = str(tmp_path) + '/'
    (tmp_path / 'v2xpnp_infos_train.pkl').write_bytes(b'')  # only its existence is checked here
    cfg = benchmark_balancing.load_benchmark_config(CONFIG, data_root)
    assert cfg.data_root == data_root
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == data_root


def test_missing_training_infos_name_the_file(tmp_path, capsys):
    with pytest.raises(SystemExit):
        benchmark_balancing.load_benchmark_config(CONFIG, str(tmp_path))
    err = capsys.readouterr().err
    assert osp.join(str(tmp_path), 'v2xpnp_infos_train.pkl') in err
    assert 'create_data.py' in err and '--data-root' in err


def test_every_default_method_builds_its_strategy():
    """Each method name maps to a strategy config the registry builds; the loss-rate TurboTrain keeps the interval."""
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    built = {m: build_strategy(benchmark_balancing.strategy_cfg(m, 7)) for m in benchmark_balancing.DEFAULT_METHODS}
    loss_rate = built['turbotrain_loss_rate']
    assert loss_rate.rebalance == 'loss_rate' and loss_rate.interval == 7 and loss_rate.needs_loss_values
    assert built['turbotrain'].rebalance == 'grad_norm' and built['turbotrain'].interval == 7
    assert type(built['famo']).__name__ == 'FAMOStrategy'


def test_a_turbotrain_method_carries_its_own_interval():
    """``NAME@N`` overrides --interval for that TurboTrain method only; rounds default to the intervals' lcm."""
    assert benchmark_balancing.strategy_cfg('turbotrain_loss_rate@3', 10) == dict(
        type='turbotrain', interval=3, rebalance='loss_rate')
    assert benchmark_balancing.strategy_cfg('turbotrain@4', 10) == dict(type='turbotrain', interval=4)
    assert benchmark_balancing.strategy_cfg('turbotrain_loss_rate', 10)['interval'] == 10
    methods = ['sum', 'famo', 'turbotrain_loss_rate@3', 'turbotrain_loss_rate@10']
    assert benchmark_balancing.default_round(methods, 7) == 30
    assert benchmark_balancing.default_round(['sum', 'turbotrain@4', 'turbotrain'], 6) == 12
    assert benchmark_balancing.default_round(['sum', 'famo'], 7) == 7  # no TurboTrain: --interval


def test_torchjd_and_every_update_methods_on_turbotrain_schedule():
    """``torchjd:NAME`` is the adapter (with the arguments a method needs); ``NAME@N`` of an every-update method is
    the method under strategy ``interval``; their intervals count in the rounds' lcm."""
    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies import build_strategy
    cagrad = dict(type='torchjd', aggregator='CAGrad', c=0.4)
    assert benchmark_balancing.strategy_cfg('torchjd:CAGrad', 10) == cagrad
    assert benchmark_balancing.strategy_cfg('torchjd:CAGrad@4', 10) == dict(type='interval', interval=4, method=cagrad)
    assert benchmark_balancing.strategy_cfg('pcgrad@5', 10) == dict(type='interval', interval=5,
                                                                    method=dict(type='pcgrad'))
    assert benchmark_balancing.strategy_cfg('pcgrad', 10) == dict(type='pcgrad')
    strategy = build_strategy(benchmark_balancing.strategy_cfg('torchjd:NashMTL@3', 10))
    assert strategy.interval == 3 and type(strategy.method).__name__ == 'TorchJDStrategy'
    methods = ['sum', 'torchjd:UPGrad', 'torchjd:UPGrad@4', 'pcgrad@6', 'turbotrain_loss_rate']
    assert benchmark_balancing.default_round(methods, 10) == 60


@pytest.mark.parametrize('method, message', [('famo@3', 'only turbotrain, turbotrain_loss_rate, pcgrad, imtl_g, '
                                                        'torchjd:NAME take'),
                                             ('turbotrain@0', 'positive integer'),
                                             ('turbotrain@x', 'positive integer')])
def test_a_bad_interval_suffix_is_an_error_naming_the_method(method, message):
    with pytest.raises(ValueError, match=message) as error:
        benchmark_balancing.strategy_cfg(method, 10)
    assert repr(method) in str(error.value)


def test_timing_report_ratios_against_sum_by_hand(capsys):
    times = {'sum': [0.1, 0.3], 'turbotrain_loss_rate@10': [0.2, 0.3]}
    rows = benchmark_balancing.report_timing(times)
    assert rows[0] == ('sum', pytest.approx(200.0), pytest.approx(200.0), pytest.approx(1.0))
    assert rows[1] == ('turbotrain_loss_rate@10', pytest.approx(250.0), pytest.approx(250.0), pytest.approx(1.25))
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith('turbotrain_loss_rate@10 ') and lines[2].split()[1:] == ['250.00', '250.00', '1.250']


@pytest.mark.parametrize('clock, timer', [('cpu', 'process_time'), ('wall', 'perf_counter')])
def test_the_clock_option_picks_the_timer(monkeypatch, clock, timer):
    """``--clock cpu`` times each iteration with this process's CPU time, the default with the wall clock."""
    import torch
    ticks = iter(range(0, 100, 3))
    monkeypatch.setattr(benchmark_balancing.time, 'process_time', lambda: 0.0)
    monkeypatch.setattr(benchmark_balancing.time, 'perf_counter', lambda: 0.0)
    monkeypatch.setattr(benchmark_balancing.time, timer, lambda: float(next(ticks)))

    class Model:
        def train(self):
            pass

        def train_step(self, batch, wrapper):
            pass

    times = benchmark_balancing.time_side_by_side(Model(), [None], {'sum': None, 'famo': None}, rounds=1,
                                                  per_round=2, warmup_rounds=1, device=torch.device('cpu'),
                                                  clock=clock)
    assert times == {'sum': [3.0, 3.0], 'famo': [3.0, 3.0]}
