"""Agent-frames each training sample makes the encoder process under each recipe's input (the per-agent-frame
encoder is the hot spot, /work/shared/PERF_NOTES.md): cooperators + history (the fine-tune configs), ego + history
(manual stages 2-3), ego current frame (manual stage 1). Reads the info file only, no point cloud.

    python tools/analysis/agent_frames.py data/v2xpnp_synth [--split train]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for _cli
from _cli import fail  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train')
    args = parser.parse_args()
    ann_file = osp.join(args.data_root, f'v2xpnp_infos_{args.split}.pkl')
    if not osp.isfile(ann_file):
        fail(f'info file not found: {ann_file} (run tools/create_data.py v2xpnp first)')
    import numpy as np

    from projects.TurboTrain.turbotrain.datasets import V2XPnPSeqDataset
    dataset = V2XPnPSeqDataset(data_root=args.data_root, ann_file=osp.basename(ann_file), pipeline=[],
                               serialize_data=False)
    valid = [np.asarray(dataset.get_data_info(i)['agent_frame_valid']) for i in range(len(dataset))]
    print(f'{ann_file}: {len(dataset)} samples; agent-frames encoded per sample: cooperators + history '
          f'{np.mean([v.sum() for v in valid]):.2f}, ego + history {np.mean([v[0].sum() for v in valid]):.2f}, '
          f'ego current frame {np.mean([v[0, -1] for v in valid]):.2f}')


if __name__ == '__main__':
    main()
