"""tools/analysis/plot_curves.py on hand-written mmengine scalar logs: what is read (training windows,
validation records, a resumed run), which names the patterns select, the moving average and the PNG."""
import importlib.util
import json
import os
import os.path as osp

import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('plot_curves', osp.join(REPO_ROOT, 'tools', 'analysis',
                                                                       'plot_curves.py'))
plot_curves = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plot_curves)


def write_log(work_dir, timestamp: str, windows) -> str:
    folder = osp.join(str(work_dir), timestamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, 'scalars.json')
    with open(path, 'w') as f:
        for window in windows:
            f.write(json.dumps(window) + '\n')
    return path


def train(iteration: int, epoch: int, loss: float, lr: float, **more) -> dict:
    return dict(lr=lr, data_time=0.01, loss=loss, loss_det=loss * 0.75, loss_pred=loss * 0.25, time=0.2,
                epoch=epoch, iter=iteration, memory=0, step=iteration, **more)


FIRST = [train(10, 1, 2.0, 1e-3, **{'balance/weight_det': 0.4}), train(20, 1, 1.0, 9e-4),
         {'v2xpnp/mAP@0.5': 0.2, 'data_time': 0.01, 'time': 0.1, 'step': 1},
         train(30, 2, 0.5, 8e-4)]


def test_training_windows_validation_records_and_a_resumed_run(tmp_path):
    run = tmp_path / 'run_a'
    write_log(run, '20261201_000000', FIRST)
    series = plot_curves.load_series(plot_curves.log_files(str(run)))
    assert series['loss'] == ([10.0, 20.0, 30.0], [2.0, 1.0, 0.5], False)
    assert series['v2xpnp/mAP@0.5'] == ([20.0], [0.2], True)        # validation after the window at iter 20
    assert series['balance/weight_det'] == ([10.0], [0.4], False)  # only where it was logged

    # a hook logging by iteration (step 30) writes before that iteration's window: placed at its step
    write_log(tmp_path / 'run_c', 't', FIRST[:2] + [{'recon_val/chamfer': 0.8, 'step': 30}] + FIRST[3:])
    series = plot_curves.load_series(plot_curves.log_files(str(tmp_path / 'run_c')))
    assert series['recon_val/chamfer'] == ([30.0], [0.8], True)

    # resumed from iteration 20: the newer log trains 30 and 40 again; the older keeps what is below 30
    write_log(run, '20261201_010000', [train(30, 2, 0.45, 8e-4), train(40, 2, 0.3, 7e-4),
                                       {'v2xpnp/mAP@0.5': 0.35, 'step': 2}])
    series = plot_curves.load_series(plot_curves.log_files(str(run)))
    assert series['loss'] == ([10.0, 20.0, 30.0, 40.0], [2.0, 1.0, 0.45, 0.3], False)
    assert series['v2xpnp/mAP@0.5'] == ([20.0, 40.0], [0.2, 0.35], True)


def test_key_patterns_and_moving_average():
    names = ['loss', 'loss_det', 'loss_pred', 'lr', 'time', 'data_time', 'iter', 'v2xpnp/mAP@0.5', 'det.loss_bbox']
    assert plot_curves.select(names, ['^loss']) == ['loss', 'loss_det', 'loss_pred']
    assert plot_curves.select(names, ['^lr$', 'mAP']) == ['lr', 'v2xpnp/mAP@0.5']
    assert plot_curves.select(names, ['time']) == ['time']    # bookkeeping only when named exactly
    assert plot_curves.select(names, ['.*']) == ['det.loss_bbox', 'loss', 'loss_det', 'loss_pred', 'lr',
                                                 'v2xpnp/mAP@0.5']
    assert plot_curves.moving_average([2.0, 4.0, 6.0, 8.0], 2) == [2.0, 3.0, 5.0, 7.0]
    assert plot_curves.moving_average([1.0, 2.0], 1) == [1.0, 2.0]


def test_png_with_one_panel_per_name_and_one_line_per_run(tmp_path, capsys):
    write_log(tmp_path / 'run_a', '20261201_000000', FIRST)
    second = write_log(tmp_path / 'run_b', '20261202_000000', [train(10, 1, 3.0, 1e-3), train(20, 1, 2.5, 1e-3)])
    out = str(tmp_path / 'plots' / 'curves.png')
    assert plot_curves.main([str(tmp_path / 'run_a'), second, '--keys', '^loss', 'mAP', '--legend', 'a', 'b',
                             '--out', out, '--cols', '2', '--dpi', '50']) == 0
    assert '4 panels (loss, loss_det, loss_pred, v2xpnp/mAP@0.5) of 2 runs' in capsys.readouterr().out
    with Image.open(out) as png:  # 2 x 2 panels of 4.2 x 3.0 inches at 50 dpi
        assert png.size == (420, 300)

    assert plot_curves.main([str(tmp_path / 'run_a'), '--list']) == 0
    assert 'run_a: balance/weight_det, data_time, epoch, iter, loss' in capsys.readouterr().out


def test_one_line_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        plot_curves.main([str(tmp_path), '--out', str(tmp_path / 'x.png')])
    assert exit_info.value.code == 2
    assert 'no <timestamp>/vis_data/scalars.json' in capsys.readouterr().err
    write_log(tmp_path / 'run', 't', FIRST)
    with pytest.raises(SystemExit):
        plot_curves.main([str(tmp_path / 'run'), '--keys', 'nothing_like_this', '--out', str(tmp_path / 'x.png')])
    assert 'no logged scalar matches' in capsys.readouterr().err
    broken = tmp_path / 'broken.json'
    broken.write_text('{"loss": 1, "iter": 1}\nnot json\n')
    with pytest.raises(SystemExit):
        plot_curves.main([str(broken), '--out', str(tmp_path / 'x.png')])
    assert 'line 2 is not valid JSON' in capsys.readouterr().err
