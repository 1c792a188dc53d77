"""tools/publish_model.py: a training checkpoint with mmengine objects inside becomes one that torch's default
``weights_only=True`` loading accepts, named with its SHA-256 prefix, with the same weights."""
import hashlib
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def training_checkpoint(path):
    """What mmengine's CheckpointHook saves, in small: objects weights_only loading refuses."""
    state_dict = {'trunk.w': torch.randn(3, 4), 'head.b': torch.arange(4.0), 'trunk._extra_state': torch.tensor([1, 4])}
    torch.save(dict(
        meta=dict(epoch=2, iter=40, seed=np.int64(0), cfg="model = dict(type='X')",
                  dataset_meta=ConfigDict(classes=('vehicle', 'pedestrian'), palette=[(1, 2, 3)]),
                  mmengine_version='0.10.7'),
        state_dict=state_dict,
        message_hub=dict(log_scalars={'train/loss': HistoryBuffer()}),
        optimizer=dict(state={}, param_groups=[ConfigDict(lr=0.1)]),
        param_schedulers=[dict(last_epoch=40)]), path)
    return state_dict


def test_publish_strips_training_state_and_loads_weights_only(tmp_path):
    source = tmp_path / 'epoch_2.pth'
    state_dict = training_checkpoint(source)
    with pytest.raises(Exception, match='weights_only|Unsupported global'):
        torch.load(source, weights_only=True)  # the failure mmdet3d's publish_model runs into

    proc = subprocess.run([sys.executable, 'tools/publish_model.py', str(source), str(tmp_path / 'out' / 'demo.pth')],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    published = proc.stdout.strip()
    digest = hashlib.sha256(open(published, 'rb').read()).hexdigest()
    assert published == str(tmp_path / 'out' / f'demo-{digest[:8]}.pth')

    loaded = torch.load(published, weights_only=True)
    assert sorted(loaded) == ['meta', 'state_dict']
    assert loaded['state_dict'].keys() == state_dict.keys()
    assert all(torch.equal(loaded['state_dict'][k], v) for k, v in state_dict.items())
    assert loaded['meta'] == dict(epoch=2, iter=40, seed=0, cfg="model = dict(type='X')", mmengine_version='0.10.7',
                                  dataset_meta=dict(classes=['vehicle', 'pedestrian'], palette=[[1, 2, 3]]))


def test_publish_refuses_truncated_input_in_one_line(tmp_path):
    source = tmp_path / 'epoch_2.pth'
    training_checkpoint(source)
    source.write_bytes(source.read_bytes()[:300])
    proc = subprocess.run([sys.executable, 'tools/publish_model.py', str(source), str(tmp_path / 'x.pth')],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert proc.stderr.strip().startswith(f'error: checkpoint {source} is corrupt or truncated')
    assert not list(tmp_path.glob('x*.pth'))
