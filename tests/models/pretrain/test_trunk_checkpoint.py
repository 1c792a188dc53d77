"""Trunk export / PretrainedTrunk init with the stand-in trunk (the real trunk: test_real_trunk.py)."""
import pytest
import torch
from mmengine.logging import MMLogger

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.pretrain import (TrunkMismatchError, export_trunk_checkpoint,
                                                            load_trunk_checkpoint)
from .standin import mae_config


def pretrained_mae():
    torch.manual_seed(0)
    model = MODELS.build(mae_config())
    model.init_weights()
    with torch.no_grad():  # make the weights recognisable
        for i, p in enumerate(model.trunk.parameters()):
            p.fill_(0.1 * (i + 1))
        model.trunk.norm.running_mean.fill_(0.5)
    return model


def test_export_writes_trunk_keys_only(tmp_path):
    model = pretrained_mae()
    path = str(tmp_path / 'trunk.pth')
    export_trunk_checkpoint(model, path, meta=dict(iter=3))
    raw = torch.load(path, map_location='cpu', weights_only=False)
    assert raw['meta']['iter'] == 3 and raw['meta']['trunk_prefix'] == 'trunk.'
    expected = [k for k in model.state_dict() if k.startswith('trunk.')]
    assert list(raw['state_dict']) == expected
    assert not any(k.startswith('recon_head.') for k in raw['state_dict'])
    assert list(load_trunk_checkpoint(path)) == [k[len('trunk.'):] for k in expected]


@pytest.mark.parametrize('where', ['model', 'trunk'])
def test_pretrained_trunk_init_round_trip(tmp_path, where):
    model = pretrained_mae()
    path = str(tmp_path / 'trunk.pth')
    export_trunk_checkpoint(model, path)
    init_cfg = dict(type='PretrainedTrunk', checkpoint=path)
    # a trunk init_cfg that would overwrite the weights if it ran after loading
    trunk_cfg = dict(type='StandInTrunk', init_cfg=dict(type='Constant', layer='Conv2d', val=7.0))
    if where == 'trunk':
        trunk_cfg['init_cfg'] = [trunk_cfg['init_cfg'], init_cfg]
        finetune = MODELS.build(dict(type='StandInFineTune', trunk=trunk_cfg))
    else:
        finetune = MODELS.build(dict(type='StandInFineTune', trunk=trunk_cfg, init_cfg=init_cfg))
    head_before = finetune.head.weight.clone()
    finetune.init_weights()
    for key, value in model.state_dict().items():
        if key.startswith('trunk.'):
            assert torch.equal(finetune.state_dict()[key], value), key
    assert torch.equal(finetune.head.weight, head_before)  # the new head keeps its own init


def test_init_logs_loaded_and_new_keys(tmp_path, capsys):
    model = pretrained_mae()
    path = str(tmp_path / 'trunk.pth')
    export_trunk_checkpoint(model, path)
    MMLogger.get_instance('test_trunk_ckpt', log_level='INFO')
    from projects.TurboTrain.turbotrain.models.pretrain import load_pretrained_trunk
    finetune = MODELS.build(dict(type='StandInFineTune', trunk=dict(type='StandInTrunk')))
    report = load_pretrained_trunk(finetune, path)
    n_trunk = len([k for k in model.state_dict() if k.startswith('trunk.')])
    assert len(report['loaded']) == n_trunk
    assert report['new'] == ['head.weight', 'head.bias']


def test_mismatched_trunk_is_refused_with_path_and_keys(tmp_path):
    model = pretrained_mae()
    path = str(tmp_path / 'trunk.pth')
    export_trunk_checkpoint(model, path)
    wider = MODELS.build(dict(type='StandInFineTune', head_channels=16,
                              trunk=dict(type='StandInTrunk', channels=16),
                              init_cfg=dict(type='PretrainedTrunk', checkpoint=path)))
    with pytest.raises(TrunkMismatchError) as error:
        wider.init_weights()
    message = str(error.value)
    assert path in message
    assert 'shape mismatch' in message
    assert 'trunk.encoder.weight: checkpoint (8, 1, 1, 1) vs model (16, 1, 1, 1)' in message

    # keys missing from the checkpoint are named too
    state = torch.load(path, map_location='cpu', weights_only=False)
    del state['state_dict']['trunk.fuse.bias']
    torch.save(state, path)
    same = MODELS.build(dict(type='StandInFineTune', trunk=dict(type='StandInTrunk'),
                             init_cfg=dict(type='PretrainedTrunk', checkpoint=path)))
    with pytest.raises(TrunkMismatchError, match=r'missing in checkpoint \(1\): trunk.fuse.bias'):
        same.init_weights()


def test_missing_file_and_checkpoint_without_trunk(tmp_path):
    finetune = MODELS.build(dict(type='StandInFineTune', trunk=dict(type='StandInTrunk'),
                                 init_cfg=dict(type='PretrainedTrunk', checkpoint=str(tmp_path / 'nope.pth'))))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        finetune.init_weights()
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'backbone.w': torch.zeros(1)}), path)
    with pytest.raises(TrunkMismatchError, match='holds no "trunk.\\*" keys'):
        load_trunk_checkpoint(path)


def test_full_pretraining_checkpoint_is_accepted(tmp_path):
    model = pretrained_mae()
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(meta={}, state_dict=model.state_dict(), optimizer={}), path)
    finetune = MODELS.build(dict(type='StandInFineTune', trunk=dict(type='StandInTrunk'),
                                 init_cfg=dict(type='PretrainedTrunk', checkpoint=path)))
    finetune.init_weights()
    assert torch.equal(finetune.trunk.fuse.weight, model.trunk.fuse.weight)


def test_resume_overrides_the_pretrained_trunk(tmp_path):
    """Runner order: init_weights (PretrainedTrunk) first, then resume; the resumed weights win."""
    from mmengine.runner import Runner
    from .standin import synthetic_inputs

    pretrained = pretrained_mae()
    trunk_path = str(tmp_path / 'trunk_pretrained.pth')
    export_trunk_checkpoint(pretrained, trunk_path)

    def runner(work_dir, **kwargs):
        return Runner(
            model=dict(type='StandInFineTune', trunk=dict(type='StandInTrunk'),
                       init_cfg=dict(type='PretrainedTrunk', checkpoint=trunk_path)),
            work_dir=str(work_dir),
            train_dataloader=dict(dataset=[dict(inputs=synthetic_inputs())] * 2, batch_size=1, num_workers=0,
                                  sampler=dict(type='DefaultSampler', shuffle=False),
                                  collate_fn=lambda samples: samples[0]),
            train_cfg=dict(by_epoch=False, max_iters=2),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.5)),
            default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False)),
            default_scope='mmdet3d', log_level='WARNING', **kwargs)

    first = runner(tmp_path / 'first')
    first.train()
    trained = {k: v.clone() for k, v in first.model.state_dict().items()}
    # the check below discriminates only if training moved the trunk away from the pretrained weights (which
    # parameters move depends on the random initialisation, i.e. on the tests that ran before: any one will do)
    pretrained_state = pretrained.state_dict()
    assert any(not torch.equal(trained[k], v) for k, v in pretrained_state.items() if k.startswith('trunk.'))

    resumed = runner(tmp_path / 'second', resume=True, load_from=str(tmp_path / 'first' / 'iter_2.pth'))
    resumed.train()  # max_iters already reached: only init + resume run
    assert resumed.iter == 2
    for key, value in trained.items():
        assert torch.equal(resumed.model.state_dict()[key], value), key


def test_fine_tune_compressor_may_be_missing_from_the_pretrained_trunk(tmp_path):
    """A fine-tune trunk with a ChannelCompressor loads a pretrained trunk without one; its keys are new."""
    import copy

    from projects.TurboTrain.turbotrain.models.pretrain import load_pretrained_trunk
    from tests.models.coop_fakes import tiny_model_cfg
    torch.manual_seed(0)
    plain = MODELS.build(tiny_model_cfg())
    path = str(tmp_path / 'trunk.pth')
    torch.save(dict(state_dict={f'trunk.{k}': v for k, v in plain.trunk.state_dict().items()}), path)
    cfg = copy.deepcopy(tiny_model_cfg())
    cfg['trunk']['compressor'] = dict(type='ChannelCompressor', channels=16, ratio=2)
    torch.manual_seed(1)
    compressed = MODELS.build(cfg)
    report = load_pretrained_trunk(compressed, path)
    assert {k for k in report['new'] if k.startswith('trunk.')} == {
        f'trunk.compressor.{k}' for k in compressed.trunk.compressor.state_dict()}
    for key, value in plain.trunk.state_dict().items():
        assert torch.equal(compressed.trunk.state_dict()[key], value), key
