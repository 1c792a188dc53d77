"""CoopVisualizationHook: test pictures to files (named by sample), validation pictures to the vis backends,
nothing unless drawing is on, a clear error without the cooperative visualiser; enable_visualization."""
import itertools
import os
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.visualization import Visualizer
from PIL import Image

import projects.TurboTrain.turbotrain  # noqa: F401
from mmdet3d.structures import Det3DDataSample, LiDARInstance3DBoxes
from projects.TurboTrain.turbotrain.engine.hooks import CoopVisualizationHook, enable_visualization
from projects.TurboTrain.turbotrain.visualization import CoopBEVVisualizer

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
_names = itertools.count()


def packed(sample_idx: int, frame: str):
    inputs = dict(points=[torch.tensor([[1.0, 2.0, 0.0, 1.0]])], agent_poses=torch.eye(4)[None, None],
                  agent_frame_valid=torch.ones(1, 1, dtype=torch.bool))
    sample = Det3DDataSample(metainfo=dict(sample_idx=sample_idx, scenario='scn', frame=frame, ego_id=2,
                                           agent_ids=[2], point_cloud_range=[-8.0, -8.0, -3.0, 8.0, 8.0, 1.0]))
    sample.eval_ann_info = dict(gt_bboxes_3d=LiDARInstance3DBoxes(torch.tensor([[1.0, 1.0, 0.0, 4.0, 2.0, 1.5, 0.0]])),
                                gt_labels_3d=np.array([0]))
    return inputs, sample


def runner_with(visualizer, work_dir: str, iteration: int = 0):
    return SimpleNamespace(visualizer=visualizer, work_dir=work_dir, iter=iteration)


def test_test_pictures_are_written_per_sample(tmp_path):
    vis = CoopBEVVisualizer(name=f'hook_{next(_names)}', resolution=0.1)
    out_dir = str(tmp_path / 'show')
    hook = CoopVisualizationHook(draw=True, test_out_dir=out_dir)
    runner = runner_with(vis, str(tmp_path))
    hook.before_run(runner)
    hook.before_test(runner)
    (in0, s0), (in1, s1) = packed(3, '000004'), packed(4, '000005')
    hook.after_test_iter(runner, 0, dict(inputs=[in0, in1], data_samples=[s0, s1]), [s0, s1])
    assert sorted(os.listdir(out_dir)) == ['00003_scn_000004_ego2.png', '00004_scn_000005_ego2.png']
    with Image.open(osp.join(out_dir, '00003_scn_000004_ego2.png')) as png:
        assert png.size == (160, 160)  # ±8 m at 0.1 m/px

    every_other = CoopVisualizationHook(draw=True, test_interval=2, test_out_dir=str(tmp_path / 'half'))
    every_other.before_test(runner)
    every_other.after_test_iter(runner, 0, dict(inputs=[in0, in1], data_samples=[s0, s1]), [s0, s1])
    assert os.listdir(str(tmp_path / 'half')) == ['00003_scn_000004_ego2.png']

    off = CoopVisualizationHook(draw=False, test_out_dir=str(tmp_path / 'off'))
    off.before_test(runner)
    off.after_test_iter(runner, 0, dict(inputs=[in0], data_samples=[s0]), [s0])
    assert not osp.exists(str(tmp_path / 'off'))


def test_validation_pictures_go_to_the_backends_every_interval(tmp_path):
    vis = CoopBEVVisualizer(name=f'hook_{next(_names)}', vis_backends=['LocalVisBackend'], save_dir=str(tmp_path))
    hook = CoopVisualizationHook(draw=True, interval=2)
    inputs, sample = packed(0, '000003')
    batch = dict(inputs=[inputs], data_samples=[sample])
    for batch_idx in range(3):
        hook.after_val_iter(runner_with(vis, str(tmp_path), iteration=10), batch_idx, batch, [sample])
    # steps runner.iter + batch_idx = 10, 11, 12: pictures at 10 and 12
    assert sorted(os.listdir(str(tmp_path / 'vis_data' / 'vis_image'))) == ['val_bev_10.png', 'val_bev_12.png']


def test_needs_the_cooperative_visualizer(tmp_path):
    hook = CoopVisualizationHook(draw=True)
    with pytest.raises(TypeError, match='CoopBEVVisualizer'):
        hook.before_run(runner_with(Visualizer(name=f'plain_{next(_names)}'), str(tmp_path)))
    CoopVisualizationHook(draw=False).before_run(runner_with(None, str(tmp_path)))  # off: no check


def test_enable_visualization_switches_the_hook_on():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_finetune.py'))
    assert cfg.default_hooks.visualization.type == 'CoopVisualizationHook' and not cfg.default_hooks.visualization.draw
    assert cfg.visualizer.type == 'CoopBEVVisualizer'
    enable_visualization(cfg, show_dir='pics')
    assert cfg.default_hooks.visualization.draw and cfg.default_hooks.visualization.test_out_dir == 'pics'
    assert not cfg.default_hooks.visualization.get('show', False)

    old = Config(dict(default_hooks=dict(visualization=dict(type='Det3DVisualizationHook', draw=False)),
                      visualizer=dict(type='Det3DLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')])))
    enable_visualization(old, show=True)
    assert old.default_hooks.visualization.type == 'CoopVisualizationHook' and old.default_hooks.visualization.show
    assert old.visualizer.type == 'CoopBEVVisualizer'
    bare = Config(dict())
    enable_visualization(bare, show_dir='x')
    assert bare.default_hooks['visualization']['type'] == 'CoopVisualizationHook'
    assert bare.visualizer['type'] == 'CoopBEVVisualizer'
