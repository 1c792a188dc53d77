"""The data tools' progress: mmengine's bar with done/total counts and the time left, on the generator's frames and
the converter's agent-frames (in process and with worker processes), silent when not verbose."""
import os.path as osp
import re

from projects.TurboTrain.turbotrain.datasets.converters.v2xpnp_converter import convert_v2xpnp
from projects.TurboTrain.turbotrain.datasets.synthetic import generate_dataset

AGENTS = 4  # every synthetic scenario has vehicles 1, 2 and infrastructure -1, -2


def final_count(text: str) -> str:
    """The last ``done/total`` the progress bar printed."""
    counts = re.findall(r'(\d+)/(\d+), [\d.]+ task/s, elapsed: \d+s, ETA:\s+\d+s', text)
    assert counts, text[-500:]
    return '/'.join(counts[-1])


def test_generator_and_converter_show_counts_and_time_left(tmp_path, capsys):
    root = str(tmp_path / 'data')
    generate_dataset(root, num_scenarios=1, seed=0, frames_per_scenario=3, preset='tiny',
                     split_fractions=(1.0, 0.0, 0.0), verbose=True)
    assert final_count(capsys.readouterr().out) == '3/3'  # 1 scenario x 3 frames

    convert_v2xpnp(root, verbose=True)
    out = capsys.readouterr().out
    assert f'train: reading {3 * AGENTS} agent-frames' in out
    assert final_count(out) == f'{3 * AGENTS}/{3 * AGENTS}'

    convert_v2xpnp(root, out_dir=str(tmp_path / 'parallel'), workers=2, verbose=True)
    assert final_count(capsys.readouterr().out) == f'{3 * AGENTS}/{3 * AGENTS}'
    with open(osp.join(root, 'v2xpnp_infos_train.pkl'), 'rb') as a, \
            open(osp.join(str(tmp_path / 'parallel'), 'v2xpnp_infos_train.pkl'), 'rb') as b:
        assert a.read() == b.read()  # the progress path keeps the output identical

    generate_dataset(str(tmp_path / 'quiet'), num_scenarios=1, seed=0, frames_per_scenario=2, preset='tiny',
                     split_fractions=(1.0, 0.0, 0.0))
    convert_v2xpnp(str(tmp_path / 'quiet'), verbose=False)
    assert 'ETA' not in capsys.readouterr().out
