"""tools/analysis/agent_frames.py on the hand-made tiny scene (tests/datasets/tiny_scene.py): 3 agents within range
of each other in all 5 frames, 2 vehicle egos, history 3 → t0 = 3, 4, 5: 6 samples of 3 agents × 3 frames."""
import importlib.util
import os.path as osp

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location('agent_frames',
                                               osp.join(REPO_ROOT, 'tools', 'analysis', 'agent_frames.py'))
agent_frames = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(agent_frames)


def test_agent_frames_per_sample_by_hand(tmp_path):
    from tests.datasets.tiny_scene import convert_quietly, make_tiny_scene, tiny_dataset
    root = str(tmp_path)
    make_tiny_scene(root, skip=[(2, 2)])  # vehicle 2 has no frame 2: one agent-frame fewer where it is in history
    convert_quietly(root)
    counts = agent_frames.agent_frames_per_sample(tiny_dataset(root, history_frames=3))
    assert counts['samples'] == 6
    # frame 2 is in the history of t0 = 3 and 4 (not 5): 4 of the 6 samples miss one agent-frame, and for the 2
    # whose ego is vehicle 2 that one is the ego's
    assert counts['cooperative'] == (6 * 9 - 4) / 6
    assert counts['ego_history'] == (6 * 3 - 2) / 6
    assert counts['ego_current'] == 1.0
