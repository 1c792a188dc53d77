"""Every range-bearing setting of each user config agrees with the config's ``point_cloud_range``.

The BEV range is written in many places (pipelines, encoder, fusion neck, heads, targets, masking); mmengine
configs resolve a variable where it is written, so a child that changes the range must restate every one of them.
A missed one fails silently at run time (boxes decoded on a shifted grid), so it is checked here for all configs.
"""
import glob
import os.path as osp
from typing import Any, Iterator, Tuple

import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs', '*.py')))
RANGE_KEYS = ('point_cloud_range', 'pc_range')


def range_settings(node: Any, path: str = '') -> Iterator[Tuple[str, list]]:
    """``(dotted path, value)`` of every ``point_cloud_range`` / ``pc_range`` below ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f'{path}.{key}' if path else str(key)
            if key in RANGE_KEYS and isinstance(value, (list, tuple)):
                yield child, list(value)
            else:
                yield from range_settings(value, child)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from range_settings(value, f'{path}[{i}]')


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.basename(p))
def test_every_range_setting_matches_the_config_range(config):
    cfg = Config.fromfile(config)
    expected = [float(v) for v in cfg.point_cloud_range]
    settings = dict(range_settings(cfg.to_dict()))
    assert len(settings) >= 8, sorted(settings)  # pipelines, encoder, neck, heads: all found
    for path, value in settings.items():
        if path == 'point_cloud_range':
            continue
        assert [float(v) for v in value] == expected[:len(value)], f'{osp.basename(config)}: {path} = {value}'


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.basename(p))
def test_detection_grid_covers_the_range(config):
    cfg = Config.fromfile(config)
    det = cfg.model.get('train_cfg', {}).get('det') if cfg.model.get('train_cfg') else None
    if det is None:  # the pretraining configs have no detection targets
        pytest.skip('no detection train_cfg')
    extent = [cfg.point_cloud_range[i + 3] - cfg.point_cloud_range[i] for i in range(2)]
    grid = [round(extent[i] / det.voxel_size[i]) for i in range(2)]
    assert list(det.grid_size[:2]) == grid
    assert list(cfg.model.bbox_head.bbox_coder.voxel_size) == list(det.voxel_size[:2])
    assert list(cfg.model.trunk.bev_encoder.get('voxel_size', det.voxel_size))[:2] == list(det.voxel_size[:2])
