"""CoopMAE with the real CoopTrunk: encoder input spy, trunk-key round trip with CoopPnPDetector, no labels."""
import os.path as osp
import pickle

import pytest
import torch
from mmengine.optim import OptimWrapper

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.data_preprocessors import coop_collate
from projects.TurboTrain.turbotrain.models.pretrain import TrunkMismatchError, export_trunk_checkpoint
from tests.models.coop_fakes import POINT_CLOUD_RANGE, VOXEL_SIZE, make_packed_sample, tiny_model_cfg

# the tiny trunk: SECOND strides (2, 2), SECONDFPN upsample (1, 2) -> output stride 2 -> 1.6 m columns
OUTPUT_STRIDE = 2
COLUMN = (VOXEL_SIZE[0] * OUTPUT_STRIDE, VOXEL_SIZE[1] * OUTPUT_STRIDE)


def real_mae_cfg(history: int = 2, channels: int = 16, ratio: float = 0.7) -> dict:
    return dict(
        type='CoopMAE',
        data_preprocessor=dict(type='CoopDataPreprocessor'),
        trunk=tiny_model_cfg(history=history, channels=channels)['trunk'],
        recon_head=dict(type='BEVReconstructionHead', in_channels=channels, feat_channels=16, num_points=8,
                        point_cloud_range=POINT_CLOUD_RANGE),
        masking=dict(type='BEVColumnMasking', point_cloud_range=POINT_CLOUD_RANGE, column_size=COLUMN,
                     ratio=ratio, seed=0),
        target_builder=dict(type='ReconstructionTargetBuilder', point_cloud_range=POINT_CLOUD_RANGE,
                            max_points_per_cell=64))


def build_mae(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(real_mae_cfg(**kwargs))
    model.init_weights()
    return model


def batch(num_agents=(2, 3), seeds=(0, 1)):
    return coop_collate([make_packed_sample(num_agents=a, seed=s) for a, s in zip(num_agents, seeds)])


def test_encoder_input_holds_no_masked_point():
    model = build_mae()
    inputs = model.data_preprocessor(batch(), True)['inputs']
    seen = []
    handle = model.trunk.bev_encoder.register_forward_pre_hook(lambda module, args: seen.append(list(args[0])))
    result = model.reconstruct(inputs)
    handle.remove()
    assert len(seen) == 1
    encoded = seen[0]
    valid = (inputs['agent_frame_valid'] & inputs['agent_valid'][..., None]).flatten().nonzero()[:, 0].tolist()
    assert len(encoded) == len(valid) == 2 * 2 + 3 * 2  # padded agent of sample 0 is never encoded
    for cloud, index in zip(encoded, valid):
        original = inputs['points'][index]
        masked_columns = result.mask.masked_columns[index]
        occupied = int(result.mask.num_occupied[index])
        assert len(masked_columns) == int(0.7 * occupied + 0.5) > 0
        # the encoder got exactly the kept points: none in a masked column, all the others
        assert torch.equal(cloud, result.mask.kept_points[index])
        assert not torch.isin(model.masking.column_ids(cloud), masked_columns).any()
        in_masked = torch.isin(model.masking.column_ids(original), masked_columns)
        assert cloud.shape[0] == original.shape[0] - int(in_masked.sum()) and in_masked.sum() > 0
    # the masking column is the trunk's output cell (pillar × output stride)
    assert result.bev.shape[-2:] == (32, 32)
    assert model.recon_head.cell_size(result.bev.shape[-2:]) == pytest.approx(COLUMN)


def test_pretraining_step_trains_the_trunk():
    model = build_mae()
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=3e-3))
    data = batch()
    before = {k: v.clone() for k, v in model.trunk.state_dict().items()}
    history = [float(model.train_step(data, wrapper)['loss']) for _ in range(6)]
    assert history[-1] < history[0]
    changed = [k for k, v in model.trunk.state_dict().items() if not torch.equal(v, before[k])]
    assert any(k.startswith('bev_encoder.') for k in changed) and any(k.startswith('fusion_neck.') for k in changed)
    model.eval()
    (out, ) = model.val_step(coop_collate([make_packed_sample(num_agents=2, seed=5)]))
    assert out.recon_metrics['num_cells'] > 0


def test_trunk_keys_round_trip_into_the_detector(tmp_path):
    mae = build_mae()
    wrapper = OptimWrapper(torch.optim.Adam(mae.parameters(), lr=3e-3))
    mae.train_step(batch(), wrapper)  # weights and BN statistics differ from any fresh init
    detector_cfg = tiny_model_cfg(history=2)
    fresh = MODELS.build(detector_cfg)
    mae_trunk = {k: tuple(v.shape) for k, v in mae.state_dict().items() if k.startswith('trunk.')}
    det_trunk = {k: tuple(v.shape) for k, v in fresh.state_dict().items() if k.startswith('trunk.')}
    assert mae_trunk == det_trunk

    path = str(tmp_path / 'trunk_pretrained.pth')
    export_trunk_checkpoint(mae, path)
    detector_cfg['init_cfg'] = dict(type='PretrainedTrunk', checkpoint=path)
    torch.manual_seed(1)
    detector = MODELS.build(detector_cfg)
    detector.init_weights()
    det_state = detector.state_dict()
    for key, value in mae.state_dict().items():
        if key.startswith('trunk.'):
            assert torch.equal(det_state[key], value), key
    # the detector still runs (heads keep their own init)
    data = detector.data_preprocessor(batch(), True)
    losses = detector(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())


def test_mismatched_detector_trunk_is_refused(tmp_path):
    mae = build_mae()
    path = str(tmp_path / 'trunk_pretrained.pth')
    export_trunk_checkpoint(mae, path)
    detector_cfg = tiny_model_cfg(history=2, channels=32)
    detector_cfg['init_cfg'] = dict(type='PretrainedTrunk', checkpoint=path)
    detector = MODELS.build(detector_cfg)
    with pytest.raises(TrunkMismatchError) as error:
        detector.init_weights()
    message = str(error.value)
    assert path in message and 'shape mismatch' in message
    assert 'trunk.' in message and 'vs model' in message


def test_pretraining_on_a_dataset_without_labels(tmp_path):
    from tests.datasets.tiny_scene import convert_quietly, make_tiny_scene, tiny_dataset
    root = str(tmp_path)
    make_tiny_scene(root, 'bin')
    convert_quietly(root)
    with open(osp.join(root, 'v2xpnp_infos_train.pkl'), 'rb') as handle:
        infos = pickle.load(handle)
    for frame in infos['data_list']:
        del frame['objects']  # any label access would raise KeyError
    with open(osp.join(root, 'v2xpnp_infos_nolabels.pkl'), 'wb') as handle:
        pickle.dump(infos, handle)
    dataset = tiny_dataset(root, split='nolabels', load_labels=False,
                           pipeline=[dict(type='LoadCoopPoints'),
                                     dict(type='PackCoopInputs', point_cloud_range=POINT_CLOUD_RANGE)])
    samples = [dataset[i] for i in range(min(2, len(dataset)))]
    assert all(len(s['data_samples'].gt_instances_3d.keys()) == 0 for s in samples)
    model = build_mae(history=dataset.history_frames)
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    log_vars = model.train_step(coop_collate(samples), wrapper)
    assert torch.isfinite(log_vars['loss'])
    model.eval()
    outputs = model.val_step(coop_collate(samples))
    assert len(outputs) == len(samples)
