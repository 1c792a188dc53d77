"""Prediction pictures of a (randomly initialised) demo model on the tiny dataset: the standalone tool's PNGs and
scenario GIF, and ``tools/test.py --show-dir`` with TensorBoard selected by ``--cfg-options``."""
import glob
import importlib.util
import os
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_finetune.py')
SIDE = 640  # the demo's ±32 m at the visualiser's 0.1 m/px
_spec = importlib.util.spec_from_file_location('visualize_predictions',
                                               osp.join(REPO_ROOT, 'tools', 'analysis', 'visualize_predictions.py'))
visualize_predictions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(visualize_predictions)


@pytest.fixture(scope='module')
def random_checkpoint(tmp_path_factory) -> str:
    """The demo model's initial weights as an mmengine checkpoint (no training: the pictures' content is tested
    in tests/visualization)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmdet3d.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmdet3d')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return path


def test_pictures_of_chosen_samples_and_a_scenario_gif(tiny_dataset_root, random_checkpoint, tmp_path, capsys):
    out = str(tmp_path / 'pics')
    common = [CONFIG, random_checkpoint, '--data-root', tiny_dataset_root, '--score-thr', '0']
    assert visualize_predictions.main(common + ['--samples', '0', '2', '--out', out]) == 0
    pictures = sorted(os.listdir(out))
    assert len(pictures) == 2 and pictures[0].startswith('00000_') and pictures[1].startswith('00002_')
    for name in pictures:
        with Image.open(osp.join(out, name)) as png:
            assert png.size == (SIDE, SIDE) and png.mode == 'RGB'
    assert '2/2' in capsys.readouterr().out  # mmengine's progress bar
    single = str(tmp_path / 'one' / 'sample1.png')
    assert visualize_predictions.main(common + ['--samples', '1', '--out', single, '--resolution', '0.25']) == 0
    with Image.open(single) as png:
        assert png.size == (256, 256)  # ±32 m at 0.25 m/px

    with open(osp.join(tiny_dataset_root, 'v2xpnp_infos_test.pkl'), 'rb') as f:
        scenario = pickle.load(f)['data_list'][0]['scenario']
    gif = str(tmp_path / 'clip.gif')
    assert visualize_predictions.main(common + ['--scenario', scenario, '--video', gif, '--max-frames', '3',
                                                '--fps', '2']) == 0
    with Image.open(gif) as clip:
        assert clip.n_frames == 3 and clip.size == (SIDE, SIDE) and clip.info['duration'] == 500

    with pytest.raises(SystemExit):
        visualize_predictions.main(common + ['--scenario', 'no_such_scenario', '--video', gif])
    assert "scenario 'no_such_scenario' not in this split" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        visualize_predictions.main(common + ['--samples', '999', '--out', out])
    assert '--samples [999]' in capsys.readouterr().err


@pytest.mark.slow
def test_test_py_show_dir_and_tensorboard(tiny_dataset_root, random_checkpoint, tmp_path):
    pytest.importorskip('tensorboard', reason='tensorboard is installed by tools/install.sh')
    show_dir, work_dir = str(tmp_path / 'show'), str(tmp_path / 'work')
    cmd = [sys.executable, 'tools/test.py', CONFIG, random_checkpoint, '--work-dir', work_dir, '--show-dir',
           show_dir, '--cfg-options', f'test_dataloader.dataset.data_root={tiny_dataset_root}',
           'test_dataloader.dataset.indices=3', 'test_dataloader.num_workers=0',
           'test_dataloader.persistent_workers=False', 'visualizer.score_thr=0.0',
           'visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]']
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'), capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    pictures = sorted(os.listdir(show_dir))
    assert len(pictures) == 3 and all(p.endswith('.png') for p in pictures)
    for name in pictures:
        with Image.open(osp.join(show_dir, name)) as png:
            assert png.size == (SIDE, SIDE)
    assert glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))  # the test metrics, in TB
