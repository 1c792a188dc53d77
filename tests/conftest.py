"""Session fixtures shared by the end-to-end tests: a tiny synthetic V2XPnP-Seq dataset, converted once."""
import os
import os.path as osp
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)
TOOLS_DIR = osp.join(REPO_ROOT, 'tools')
if TOOLS_DIR not in sys.path:  # tools/*.py import their shared `_cli` by its plain name, also when a test imports them
    sys.path.append(TOOLS_DIR)
os.environ.setdefault('OMP_NUM_THREADS', '1')


@pytest.fixture(scope='session')
def tiny_dataset_root(tmp_path_factory) -> str:
    """3 tiny scenarios (train/val/test, 8 frames each, 16-beam LiDAR) in the real layout, with info files."""
    from projects.TurboTrain.turbotrain.datasets.converters.v2xpnp_converter import convert_v2xpnp
    from projects.TurboTrain.turbotrain.datasets.synthetic import generate_dataset
    root = str(tmp_path_factory.mktemp('v2xpnp_tiny'))
    generate_dataset(root, num_scenarios=3, seed=0, frames_per_scenario=8, preset='tiny',
                     split_fractions=(1 / 3, 1 / 3, 1 / 3))
    convert_v2xpnp(root, verbose=False)
    for split in ('train', 'val', 'test'):
        assert osp.isfile(osp.join(root, f'v2xpnp_infos_{split}.pkl')), split
    return root
