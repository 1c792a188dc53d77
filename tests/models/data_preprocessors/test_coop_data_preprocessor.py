import torch
from mmengine.dataset import pseudo_collate

from projects.TurboTrain.turbotrain.models.data_preprocessors import CoopDataPreprocessor, coop_collate
from tests.models.coop_fakes import make_packed_sample

torch.set_num_threads(1)


def test_pads_to_the_largest_agent_count_in_order_b_a_t():
    samples = [make_packed_sample(num_agents=1, history=2, seed=0),
               make_packed_sample(num_agents=3, history=2, seed=1)]
    out = CoopDataPreprocessor()(coop_collate(samples))
    inputs = out['inputs']
    assert inputs['agent_poses'].shape == (2, 3, 2, 4, 4)
    assert inputs['agent_valid'].tolist() == [[True, False, False], [True, True, True]]
    assert inputs['agent_frame_valid'][0].tolist() == [[True, True], [False, False], [False, False]]
    assert torch.equal(inputs['agent_poses'][0, 1:], torch.eye(4).repeat(2, 2, 1, 1))
    assert inputs['agent_types'].tolist() == [[0, 0, 0], [0, 1, 0]]
    assert len(inputs['points']) == 2 * 3 * 2
    assert torch.equal(inputs['points'][0], samples[0]['inputs']['points'][0])
    assert all(p.shape == (0, 4) for p in inputs['points'][2:6])
    # sample 1, agent 2, frame 1 -> index (1·3 + 2)·2 + 1 = 11
    assert torch.equal(inputs['points'][11], samples[1]['inputs']['points'][5])
    assert out['data_samples'][1] is not None and len(out['data_samples']) == 2


def test_pseudo_collate_form_gives_the_same_batch():
    samples = [make_packed_sample(num_agents=2, history=3, seed=s) for s in range(2)]
    preprocessor = CoopDataPreprocessor()
    a = preprocessor(coop_collate(samples))['inputs']
    b = preprocessor(pseudo_collate(samples))['inputs']
    for key in ('agent_poses', 'agent_frame_valid', 'agent_types', 'agent_valid'):
        assert torch.equal(a[key], b[key])
    assert all(torch.equal(p, q) for p, q in zip(a['points'], b['points']))
