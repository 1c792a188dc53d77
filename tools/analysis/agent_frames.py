"""Agent-frames each training sample makes the encoder process under each recipe's input (the per-agent-frame
encoder is the hot spot of a training iteration): cooperators + history (the fine-tune configs), ego + history
(manual stages 2-3), ego current frame (manual stage 1). Reads the info file only, no point cloud.

    python tools/analysis/agent_frames.py data/v2xpnp_synth [--split train]
"""
import argparse
import os.path as osp
import sys
from typing import Dict

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for _cli
from _cli import fail  # noqa: E402


def agent_frames_per_sample(dataset) -> Dict[str, float]:
    """Mean valid agent-frames per sample of a ``V2XPnPSeqDataset``: ``cooperative`` (every agent and history
    frame), ``ego_history`` (agent 0, every frame), ``ego_current`` (agent 0, frame T-1)."""
    import numpy as np
    valid = [np.asarray(dataset.get_data_info(i)['agent_frame_valid'], dtype=bool) for i in range(len(dataset))]
    return dict(samples=len(valid), cooperative=float(np.mean([v.sum() for v in valid])),
                ego_history=float(np.mean([v[0].sum() for v in valid])),
                ego_current=float(np.mean([v[0, -1] for v in valid])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train')
    args = parser.parse_args()
    ann_file = osp.join(args.data_root, f'v2xpnp_infos_{args.split}.pkl')
    if not osp.isfile(ann_file):
        fail(f'info file not found: {ann_file} (run tools/create_data.py v2xpnp first)')
    from projects.TurboTrain.turbotrain.datasets import V2XPnPSeqDataset
    dataset = V2XPnPSeqDataset(data_root=args.data_root, ann_file=osp.basename(ann_file), pipeline=[],
                               serialize_data=False)
    counts = agent_frames_per_sample(dataset)
    print(f"{ann_file}: {counts['samples']} samples; agent-frames encoded per sample: cooperators + history "
          f"{counts['cooperative']:.2f}, ego + history {counts['ego_history']:.2f}, ego current frame "
          f"{counts['ego_current']:.2f}")


if __name__ == '__main__':
    main()
