"""MAEPretrainHook: mask-ratio schedule, held-out reconstruction quality, BEV pictures, trunk export (tiny run)."""
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmdet3d.registry import MODELS
from mmdet3d.structures import Det3DDataSample
from projects.TurboTrain.turbotrain.engine.hooks import MAEPretrainHook, scheduled_mask_ratio
from tests.models.pretrain.standin import mae_config, synthetic_inputs


def test_scheduled_mask_ratio():
    linear = dict(mode='linear', start=0.3, end=0.7)
    assert scheduled_mask_ratio(0, linear, 5) == pytest.approx(0.3)
    assert scheduled_mask_ratio(2, linear, 5) == pytest.approx(0.46)
    assert scheduled_mask_ratio(9, linear, 5) == pytest.approx(0.7)
    cosine = dict(mode='cosine', start=0.5, end=0.9, begin_iter=2, end_iter=6)
    assert scheduled_mask_ratio(0, cosine, 100) == pytest.approx(0.5)
    assert scheduled_mask_ratio(4, cosine, 100) == pytest.approx(0.7)  # half way: (0.5 + 0.9) / 2
    assert scheduled_mask_ratio(6, cosine, 100) == pytest.approx(0.9)
    assert scheduled_mask_ratio(3, dict(mode='constant', ratio=0.6), 10) == 0.6
    with pytest.raises(ValueError):
        MAEPretrainHook(mask_ratio_schedule=dict(mode='exp', start=0.1, end=0.2))


class PackedSamples(Dataset):
    """Packed cooperative samples (contract "Packed sample") without labels."""

    def __init__(self, num: int, seed: int) -> None:
        self.samples = []
        for i in range(num):
            batched = synthetic_inputs(batch=1, agents=2, history=2, points_per_cloud=300, seed=seed + i)
            self.samples.append(dict(
                inputs=dict(points=batched['points'], agent_poses=batched['agent_poses'][0],
                            agent_frame_valid=batched['agent_frame_valid'][0],
                            agent_types=batched['agent_types'][0]),
                data_samples=Det3DDataSample(metainfo=dict(sample_idx=i))))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict:
        return self.samples[index]


def loader(dataset):
    return dict(dataset=dataset, batch_size=2, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='coop_collate'))


def test_hook_in_a_tiny_run(tmp_path):
    model_cfg = mae_config(ratio=0.7)
    model_cfg['data_preprocessor'] = dict(type='CoopDataPreprocessor')
    runner = Runner(
        model=model_cfg,
        work_dir=str(tmp_path),
        train_dataloader=loader(PackedSamples(4, seed=0)),
        train_cfg=dict(by_epoch=False, max_iters=4),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='MAEPretrainHook',
                           mask_ratio_schedule=dict(mode='linear', start=0.3, end=0.7),
                           val_interval=2, num_val_batches=1, val_dataloader=loader(PackedSamples(2, seed=100)),
                           vis_interval=2)],
        default_scope='mmdet3d',
        randomness=dict(seed=0),
        log_level='WARNING')
    hook = next(h for h in runner.hooks if isinstance(h, MAEPretrainHook))
    runner.train()

    ratios = runner.message_hub.get_scalar('train/mask_ratio').data[0]
    assert ratios.tolist() == pytest.approx([0.3, 0.4, 0.5, 0.6])
    assert set(hook.last_quality) >= {'chamfer', 'occ_precision', 'occ_recall', 'masked_recall'}
    assert hook.last_quality['num_supervised_cells'] > 0
    for it in (2, 4):
        assert osp.isfile(osp.join(str(tmp_path), 'recon_vis', f'iter_{it:07d}.png'))

    exported = osp.join(str(tmp_path), 'trunk_pretrained.pth')
    assert hook.exported_path == exported and osp.isfile(exported)
    finetune = MODELS.build(dict(type='StandInFineTune', trunk=dict(type='StandInTrunk'),
                                 init_cfg=dict(type='PretrainedTrunk', checkpoint=exported)))
    finetune.init_weights()
    for key, value in runner.model.state_dict().items():
        if key.startswith('trunk.'):
            assert torch.equal(finetune.state_dict()[key], value), key
