import copy

import torch

from mmdet3d.registry import MODELS
from projects.TurboTrain.turbotrain.models.data_preprocessors import CoopDataPreprocessor, coop_collate
from tests.models.coop_fakes import make_packed_sample, tiny_model_cfg

torch.set_num_threads(1)


def build_trunk():
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(tiny_model_cfg(history=2)['trunk'])).eval()


def batch(samples):
    return CoopDataPreprocessor()(coop_collate(samples))['inputs']


def test_shapes_and_only_valid_agent_frames_are_encoded():
    trunk = build_trunk()
    encoded_counts = []
    trunk.bev_encoder.register_forward_hook(lambda m, args, out: encoded_counts.append(len(args[0])))
    inputs = batch([make_packed_sample(num_agents=1, seed=0), make_packed_sample(num_agents=3, seed=1)])
    inputs['agent_frame_valid'][1, 2, 0] = False
    with torch.no_grad():
        out = trunk(inputs)
        per_frame = trunk.encode_agent_frames(inputs)
    assert out['bev'].shape == (2, 16, 32, 32)
    assert per_frame['features'].shape == (2, 3, 2, 16, 32, 32)
    assert encoded_counts[0] == 1 * 2 + 3 * 2 - 1  # 7 valid agent-frames of 12 slots
    assert (per_frame['features'][0, 1:] == 0).all() and (per_frame['features'][1, 2, 0] == 0).all()


def test_padding_agent_changes_nothing():
    trunk = build_trunk()
    alone = make_packed_sample(num_agents=2, seed=3)
    with torch.no_grad():
        single = trunk(batch([alone]))['bev']
        padded = trunk(batch([alone, make_packed_sample(num_agents=4, seed=4)]))['bev'][0]
    assert torch.allclose(single[0], padded, atol=1e-5)


def test_cooperator_points_matter():
    trunk = build_trunk()
    inputs = batch([make_packed_sample(num_agents=2, seed=5)])
    with torch.no_grad():
        both = trunk(inputs)['bev']
        inputs['agent_valid'][0, 1] = False
        ego = trunk(inputs)['bev']
    assert not torch.allclose(both, ego)


def test_message_bytes_per_agent_frame_by_hand():
    trunk = build_trunk()
    inputs = batch([make_packed_sample(num_agents=1, seed=0), make_packed_sample(num_agents=3, seed=1)])
    inputs['agent_frame_valid'][1, 2, 0] = False
    with torch.no_grad():
        sent = trunk(inputs)['message_bytes']
    per_map = 16 * 32 * 32 * 4  # the neck's (16, 32, 32) float32 map
    expected = torch.zeros(2, 3, 2, dtype=torch.int64)
    expected[1, 1:] = per_map  # cooperators' valid frames; the ego sends nothing, padding neither
    expected[1, 2, 0] = 0  # missing frame
    assert torch.equal(sent, expected)


def test_compressor_acts_on_cooperators_only():
    cfg = copy.deepcopy(tiny_model_cfg(history=2)['trunk'])
    torch.manual_seed(0)
    plain = MODELS.build(copy.deepcopy(cfg)).eval()
    cfg['compressor'] = dict(type='ChannelCompressor', channels=16, ratio=4, transmit_dtype='float16')
    torch.manual_seed(0)
    compressed = MODELS.build(cfg).eval()
    missing, unexpected = compressed.load_state_dict(plain.state_dict(), strict=False)
    assert all(key.startswith('compressor.') for key in missing) and not unexpected
    inputs = batch([make_packed_sample(num_agents=3, seed=2)])
    with torch.no_grad():
        a, b = plain.encode_agent_frames(inputs), compressed.encode_agent_frames(inputs)
    assert torch.equal(a['features'][:, 0], b['features'][:, 0])  # the ego's own maps are not transmitted
    assert not torch.allclose(a['features'][:, 1:], b['features'][:, 1:])
    assert torch.equal(b['message_bytes'][0, 1:], torch.full((2, 2), 4 * 32 * 32 * 2))


def test_half_precision_transmission_halves_the_bytes():
    cfg = copy.deepcopy(tiny_model_cfg(history=2)['trunk'])
    cfg['compressor'] = dict(type='ChannelCompressor', transmit_dtype='float16')  # no layers: the same weights load
    trunk = MODELS.build(cfg).eval()
    trunk.load_state_dict(build_trunk().state_dict())
    inputs = batch([make_packed_sample(num_agents=2, seed=3)])
    with torch.no_grad():
        full, half = build_trunk()(inputs), trunk(inputs)
    assert torch.equal(half['message_bytes'], full['message_bytes'] // 2)
    assert torch.allclose(half['bev'], full['bev'], atol=1e-2) and not torch.equal(half['bev'], full['bev'])
