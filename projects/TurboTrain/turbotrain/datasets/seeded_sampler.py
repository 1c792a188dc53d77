"""Per-sample augmentation seeds from the sampler, so that random augmentation does not depend on process history.

Why: mmengine seeds numpy once per process (the main process at start, each dataloader worker when it starts) and
does not checkpoint RNG state. Random augmentation drawn from that global stream therefore differs between an
uninterrupted run and one resumed from a checkpoint (the resumed run's epoch 2 replays epoch 1's draws), and changes
with ``num_workers`` / ``persistent_workers``. :class:`SeededSampler` hands every index its own seed, a function of
``(sampler seed, epoch, sample index)`` only, and :meth:`V2XPnPSeqDataset.__getitem__` draws the sample's
augmentation from numpy / ``random`` seeded with it (the global states are restored afterwards).
"""
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
from mmengine.dataset import DefaultSampler

from mmdet3d.registry import DATA_SAMPLERS


class SeededIndex(int):
    """A sample index (an ``int``) carrying ``seed``, the seed of that sample's random augmentation."""

    def __new__(cls, index: int, seed: int) -> 'SeededIndex':
        obj = super().__new__(cls, index)
        obj.seed = int(seed)
        return obj

    def __reduce__(self):  # to dataloader workers
        return SeededIndex, (int(self), self.seed)


def augmentation_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of sample ``index`` in ``epoch`` of a run seeded with ``seed`` (a 32-bit integer)."""
    return int(np.random.SeedSequence([int(seed) % 2**32, int(epoch), int(index)]).generate_state(1)[0])


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` (same indices, same order, same sharding) whose indices are
    :class:`SeededIndex` with seed :func:`augmentation_seed` ``(seed, epoch, index)``.

    ``epoch`` is what ``DistSamplerSeedHook`` sets before every epoch (restored on resume), so a resumed epoch draws
    the augmentation of the uninterrupted one, whatever the number of workers.
    """

    def __iter__(self) -> Iterator[int]:
        for index in super().__iter__():
            yield SeededIndex(index, augmentation_seed(self.seed, self.epoch, index))


@contextmanager
def seeded_global_rngs(seed: int):
    """Seed numpy's and ``random``'s global generators with ``seed`` inside the block; restore them after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(seed)
    random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
