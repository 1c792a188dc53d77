"""SeededSampler + V2XPnPSeqDataset.__getitem__: a sample's augmentation depends on (seed, epoch, index) only, not on
what the process drew before (the cause of the inexact --resume: mmengine does not checkpoint numpy's RNG)."""
import os.path as osp
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler

from projects.TurboTrain.turbotrain.datasets import SeededIndex, SeededSampler, V2XPnPSeqDataset
from projects.TurboTrain.turbotrain.datasets.seeded_sampler import augmentation_seed, seeded_global_rngs

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class Range:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def test_same_indices_as_default_sampler_with_seeds_of_seed_epoch_index():
    seeded, default = SeededSampler(Range(7), shuffle=True, seed=3), DefaultSampler(Range(7), shuffle=True, seed=3)
    for epoch in (0, 1, 2):
        seeded.set_epoch(epoch)
        default.set_epoch(epoch)
        indices = list(seeded)
        assert [int(i) for i in indices] == list(default)
        assert all(isinstance(i, SeededIndex) for i in indices)
        assert [i.seed for i in indices] == [augmentation_seed(3, epoch, int(i)) for i in indices]
    # a fresh sampler (a resumed run) set to epoch 2 gives epoch 2's seeds without replaying epochs 0 and 1
    fresh = SeededSampler(Range(7), shuffle=True, seed=3)
    fresh.set_epoch(2)
    assert [(int(i), i.seed) for i in fresh] == [(int(i), i.seed) for i in seeded]
    assert len({augmentation_seed(3, e, 0) for e in range(5)}) == 5  # new draws every epoch


def test_seeded_index_survives_pickling_to_workers():
    index = SeededIndex(5, 1234)
    copy = pickle.loads(pickle.dumps([index]))[0]
    assert isinstance(copy, SeededIndex) and int(copy) == 5 and copy.seed == 1234 and copy == 5


def test_seeded_rngs_restore_the_global_state():
    np.random.seed(0)
    random.seed(0)
    expected = (np.random.rand(), random.random())
    np.random.seed(0)
    random.seed(0)
    with seeded_global_rngs(99):
        inside = np.random.rand()
    assert (np.random.rand(), random.random()) == expected
    with seeded_global_rngs(99):
        assert np.random.rand() == inside


@pytest.fixture(scope='module')
def augmented_dataset(tiny_dataset_root):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'projects/TurboTrain/configs/demo_finetune.py'))
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.pop('type')
    dataset_cfg.data_root = tiny_dataset_root
    return V2XPnPSeqDataset(**dataset_cfg)


def test_augmentation_depends_on_the_seed_not_on_the_process_history(augmented_dataset):
    """The training pipeline flips / rotates / scales at random: with a SeededIndex it draws the same whatever the
    global numpy state (another epoch, another worker), and a different seed draws differently."""
    def points(idx):
        """The augmentation's result: the agents' poses in the (augmented) ego frame and the label boxes."""
        packed = augmented_dataset[idx]
        boxes = packed['data_samples'].gt_instances_3d.bboxes_3d.tensor
        return torch.cat([packed['inputs']['agent_poses'].flatten().double(), boxes.flatten().double()])

    np.random.seed(1)
    first = points(SeededIndex(0, 7))
    np.random.seed(2)
    np.random.rand(100)
    assert torch.equal(points(SeededIndex(0, 7)), first)
    others = [points(SeededIndex(0, seed)) for seed in (8, 9, 10)]
    assert not all(torch.equal(other, first) for other in others)
    # without a seed the global stream decides (mmengine's behaviour, kept for plain DefaultSampler configs)
    np.random.seed(5)
    plain = points(0)
    np.random.seed(5)
    assert torch.equal(points(0), plain)
