"""The sparse-conv backbone swap (``*_spconv.py``): the configs build, inheritance changes only the backbone keys,
the trunk's BEV output equals the pillar trunk's, and the demo fine-tune / pretrain models train on CPU (spconv CPU
build + turbotrain's compat patches) over the tiny synthetic dataset."""
import os.path as osp
from typing import Dict, Set

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

pytest.importorskip('spconv.pytorch')

from mmdet3d.registry import DATASETS, MODELS  # noqa: E402
from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_DIR = osp.join(REPO_ROOT, 'projects', 'TurboTrain', 'configs')

# child → parent: the swap is written once per parent config
PARENTS = {
    'finetune_spconv': 'finetune',
    'pretrain_spconv': 'pretrain',
    'demo_finetune_spconv': 'demo_finetune',
    'demo_pretrain_spconv': 'demo_pretrain',
    'finetune_spconv_from_pretrain': 'finetune_from_pretrain',
    'demo_finetune_spconv_from_pretrain': 'demo_finetune_from_pretrain',
}
# The only model keys outside model.trunk.bev_encoder that a swap may change. The full-size sparse encoder gives
# 256 BEV channels (pillars: 64), the demo one the pillar demo's 16; both reach the pillar canvas' resolution at
# the sparse encoder's output, so the 2-D SECOND's first stride drops from 2 to 1. The neck is unchanged.
BACKBONE_KEYS = {
    'finetune_spconv': {'model.trunk.backbone.in_channels', 'model.trunk.backbone.layer_strides'},
    'pretrain_spconv': {'model.trunk.backbone.in_channels', 'model.trunk.backbone.layer_strides'},
    'finetune_spconv_from_pretrain': {'model.trunk.backbone.in_channels', 'model.trunk.backbone.layer_strides'},
    'demo_finetune_spconv': {'model.trunk.backbone.layer_strides'},
    'demo_pretrain_spconv': {'model.trunk.backbone.layer_strides'},
    'demo_finetune_spconv_from_pretrain': {'model.trunk.backbone.layer_strides'},
}
# The encoder is replaced as a whole (_delete_=True): pillar-encoder keys go, voxel/sparse-encoder keys come.
PILLAR_ENCODER_KEYS = {'type', 'in_channels', 'feat_channels', 'voxel_size', 'point_cloud_range'}
SPARSE_ENCODER_KEYS = {
    'type', 'voxel_layer.voxel_size', 'voxel_layer.point_cloud_range', 'voxel_layer.max_num_points',
    'voxel_layer.max_voxels', 'voxel_encoder.type', 'voxel_encoder.num_features', 'middle_encoder.type',
    'middle_encoder.in_channels', 'middle_encoder.sparse_shape', 'middle_encoder.order',
    'middle_encoder.base_channels', 'middle_encoder.output_channels', 'middle_encoder.encoder_channels',
    'middle_encoder.encoder_paddings'
}
# top-level variables the swap introduces (configs/_base_/models/spconv_trunk*.py; they feed the keys above)
SWAP_VARIABLES = {'voxel_range', 'voxel_size', 'sparse_shape', 'sparse_out_channels', 'spconv_trunk'}
# a *_from_pretrain child also loads the sparse pretraining's export instead of the pillar one
CHECKPOINT_KEYS = {'model.init_cfg.checkpoint'}


@pytest.fixture(scope='module', autouse=True)
def mmdet3d_scope():
    import projects.TurboTrain.turbotrain  # noqa: F401
    from mmdet3d.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))


def flatten(value, prefix: str = '') -> Dict[str, object]:
    """Nested dicts → ``{'a.b.c': leaf}``; lists and tuples are leaves."""
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            flat.update(flatten(item, f'{prefix}.{key}' if prefix else str(key)))
        return flat
    return {prefix: value}


def differing_keys(parent: dict, child: dict) -> Set[str]:
    flat_parent, flat_child = flatten(parent), flatten(child)
    return {key for key in flat_parent.keys() | flat_child.keys() if flat_parent.get(key) != flat_child.get(key)}


@pytest.mark.parametrize('child', sorted(PARENTS))
def test_inheritance_swaps_only_the_backbone(child):
    parent_cfg, child_cfg = load(PARENTS[child]), load(child)
    changed = differing_keys(parent_cfg.to_dict()['model'], child_cfg.to_dict()['model'])
    encoder_prefix = 'model.trunk.bev_encoder.'
    changed = {f'model.{key}' for key in changed}
    from_pretrain = child.endswith('_from_pretrain')
    expected = BACKBONE_KEYS[child] | (CHECKPOINT_KEYS if from_pretrain else set())
    assert {key for key in changed if not key.startswith(encoder_prefix)} == expected
    if from_pretrain:
        assert child_cfg.model.init_cfg.checkpoint.endswith('_spconv/trunk_pretrained.pth')
    encoder_keys = {key[len(encoder_prefix):] for key in changed if key.startswith(encoder_prefix)}
    assert encoder_keys == PILLAR_ENCODER_KEYS | SPARSE_ENCODER_KEYS
    assert set(flatten(parent_cfg.model.trunk.bev_encoder.to_dict())) == PILLAR_ENCODER_KEYS
    assert set(flatten(child_cfg.model.trunk.bev_encoder.to_dict())) == SPARSE_ENCODER_KEYS
    assert child_cfg.model.trunk.bev_encoder.middle_encoder.type == 'SparseEncoder'
    assert child_cfg.model.trunk.bev_encoder.voxel_layer.point_cloud_range == parent_cfg.model.trunk.bev_encoder[
        'point_cloud_range']
    # everything else (data, schedule, hooks, evaluators, runtime) is the parent's
    skipped = {'model', 'pretrained_trunk'}
    rest_parent = {k: v for k, v in parent_cfg.to_dict().items() if k not in skipped}
    rest_child = {k: v for k, v in child_cfg.to_dict().items() if k not in SWAP_VARIABLES | skipped}
    assert rest_child == rest_parent


@pytest.mark.parametrize('finetune, pretrain', [('finetune_spconv', 'pretrain_spconv'),
                                                ('demo_finetune_spconv', 'demo_pretrain_spconv')])
def test_pretrain_and_finetune_trunks_are_equal(finetune, pretrain):
    """The pretrained trunk must load into the fine-tune model (PretrainedTrunk refuses a mismatch)."""
    assert load(finetune).model.trunk.to_dict() == load(pretrain).model.trunk.to_dict()


@pytest.mark.parametrize('name', sorted(PARENTS))
def test_configs_build(name):
    cfg = load(name)
    cfg.model.pop('init_cfg', None)  # the *_from_pretrain checkpoints do not exist here; building does not load
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == ('CoopMAE' if 'pretrain_spconv' == name.replace('demo_', '') else
                                    'CoopPnPDetector')
    encoder = model.trunk.bev_encoder
    assert type(encoder).__name__ == 'VoxelBEVEncoder'
    assert type(encoder.voxel_encoder).__name__ == 'HardSimpleVFE'
    assert type(encoder.middle_encoder).__name__ == 'SparseEncoder'


def tiny_samples(cfg: Config, root: str, count: int = 2) -> list:
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = root
    dataset = DATASETS.build(dataset_cfg)
    return [dataset[index] for index in range(count)]


def output_grid(cfg: Config):
    """(rows, cols) of the map the detection head's targets are built on: grid // out_size_factor."""
    det = cfg.model.train_cfg.det
    return (det.grid_size[1] // det.out_size_factor, det.grid_size[0] // det.out_size_factor)


@pytest.mark.parametrize('child', ['finetune_spconv', 'demo_finetune_spconv'])
def test_per_agent_bev_map_equals_the_pillar_trunks(child, tiny_dataset_root):
    """Encoder → SECOND → SECONDFPN of one real agent-frame: the same (C, H, W) for pillars and sparse voxels,
    and H, W = the head's target grid (the fusion neck and heads are unchanged)."""
    cloud = tiny_samples(load(child), tiny_dataset_root, 1)[0]['inputs']['points'][0]
    assert len(cloud) > 100
    shapes = {}
    for name in (PARENTS[child], child):
        cfg = load(name)
        torch.manual_seed(0)
        trunk = MODELS.build(cfg.model.trunk).eval()
        with torch.no_grad():
            canvas = trunk.bev_encoder([cloud])
            features = trunk.neck(trunk.backbone(canvas))[0]
        shapes[name] = (tuple(canvas.shape), tuple(features.shape))
        assert features.shape[1] == cfg.model.trunk.fusion_neck.temporal_fusion.channels
        assert tuple(features.shape[2:]) == output_grid(cfg)
    parent_shapes, child_shapes = shapes[PARENTS[child]], shapes[child]
    assert child_shapes[1] == parent_shapes[1]
    # the sparse encoder's height-compressed map is coarser than the pillar canvas by the removed 2-D stride
    assert child_shapes[0][2] * 2 == parent_shapes[0][2] and child_shapes[0][3] * 2 == parent_shapes[0][3]


def sparse_encoder_state(model) -> Dict[str, torch.Tensor]:
    return {name: param.detach().clone()
            for name, param in model.trunk.bev_encoder.middle_encoder.named_parameters()}


def train_steps(cfg: Config, samples: list, steps: int) -> tuple:
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = sparse_encoder_state(model)
    logs = [model.train_step(coop_collate(samples), optim_wrapper) for _ in range(steps)]
    return model, before, logs


def assert_sparse_encoder_trained(model, before: Dict[str, torch.Tensor]) -> None:
    after = sparse_encoder_state(model)
    assert len(after) > 0
    changed = [name for name in after if not torch.equal(after[name], before[name])]
    conv_weights = [name for name in after if name.endswith('weight') and after[name].dim() == 5]
    assert conv_weights and set(conv_weights) <= set(changed), (conv_weights, changed)


def test_demo_finetune_spconv_trains_on_cpu(tiny_dataset_root):
    cfg = load('demo_finetune_spconv')
    samples = tiny_samples(cfg, tiny_dataset_root)
    assert sum(len(sample['data_samples'].gt_instances_3d) for sample in samples) > 0
    model, before, logs = train_steps(cfg, samples, steps=2)
    for log in logs:
        assert {'loss', 'loss_det', 'loss_pred'} <= set(log)
        assert all(torch.isfinite(torch.as_tensor(value)).all() for value in log.values())
    assert_sparse_encoder_trained(model, before)
    # the trunk's fused ego BEV is what the heads were built for
    model.eval()
    with torch.no_grad():
        batch = model.data_preprocessor(coop_collate(samples), False)
        out = model.trunk(batch['inputs'])
    assert tuple(out['bev'].shape) == (2, cfg.bev_channels, *output_grid(cfg))


def test_demo_pretrain_spconv_trains_on_cpu(tiny_dataset_root):
    cfg = load('demo_pretrain_spconv')
    samples = tiny_samples(cfg, tiny_dataset_root)
    model, before, logs = train_steps(cfg, samples, steps=1)
    assert type(model).__name__ == 'CoopMAE'
    [log] = logs
    assert 'loss' in log and any(key.startswith('recon.') for key in log), sorted(log)
    assert all(torch.isfinite(torch.as_tensor(value)).all() for value in log.values())
    assert_sparse_encoder_trained(model, before)
