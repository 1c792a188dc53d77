"""Smoke tests of the data tools on the hand-made tiny scene: browse_dataset writes PNGs, the loading benchmark
prints samples/s for each worker count."""
import os.path as osp
import sys

from tests.datasets.tiny_scene import convert_quietly, make_tiny_scene

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'configs/_base_/datasets/v2xpnp_seq.py')
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


def test_browse_dataset_writes_pngs(tmp_path, capsys):
    from tools.browse_dataset import main
    make_tiny_scene(str(tmp_path / 'data'), 'bin')
    convert_quietly(str(tmp_path / 'data'))
    out = tmp_path / 'png'
    assert main([CONFIG, '--out', str(out), '--num', '2', '--data-root', str(tmp_path / 'data')]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ['00000_scen_a_000003_ego1.png', '00001_scen_a_000003_ego2.png']
    assert all((out / n).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and (out / n).stat().st_size > 10000
               for n in names)
    # drawn by the project's visualizer (as tools/test.py --show-dir): its canvas for the sample's range, and the
    # same picture as drawing the sample directly without predictions
    import numpy as np
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from PIL import Image

    from mmdet3d.registry import DATASETS
    from projects.TurboTrain.turbotrain.visualization import CoopBEVVisualizer
    init_default_scope('mmdet3d')
    cfg = Config.fromfile(CONFIG)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=str(tmp_path / 'data'), pipeline=cfg.eval_pipeline)
    packed = DATASETS.build(dataset_cfg)[0]
    visualizer = CoopBEVVisualizer(name='test_browse_dataset')
    expected = visualizer.draw_bev(packed['inputs'], packed['data_samples'], draw_pred=False)
    picture = np.asarray(Image.open(out / names[0]).convert('RGB'))
    assert picture.shape[:2] == visualizer.canvas_shape(visualizer.range_of(packed['data_samples']))
    assert np.array_equal(picture, expected) and len(np.unique(picture.reshape(-1, 3), axis=0)) > 3


def test_benchmark_reports_each_worker_count(tmp_path, capsys):
    from tools.benchmarks.benchmark_dataloading import main
    make_tiny_scene(str(tmp_path), 'bin')
    convert_quietly(str(tmp_path))
    assert main(['--data-root', str(tmp_path), '--workers', '0', '1', '--num-batches', '2',
                 '--batch-size', '2']) == 0
    lines = capsys.readouterr().out.splitlines()
    header = [i for i, line in enumerate(lines) if 'samples/s' in line][0]
    rows = [line.split() for line in lines[header + 1:header + 3]]
    assert [r[0] for r in rows] == ['0', '1'] and all(float(r[1]) > 0 for r in rows)
    assert rows[0][3] == '4' and rows[0][4] == '252'  # 2 batches × 2 samples; 3 agents × 3 frames × 28 points
