"""Draw a checkpoint's predictions as BEV pictures for chosen samples, or over one scenario as an animated GIF.

    python tools/analysis/visualize_predictions.py CONFIG CKPT --samples 0 7 12 --out DIR
    python tools/analysis/visualize_predictions.py CONFIG CKPT --scenario NAME [--ego ID] --video out.gif [--fps 5]

Each picture (``CoopBEVVisualizer``, the one ``tools/test.py --show-dir`` uses) is in the ego frame at t0: every
agent's points coloured by agent, the agents' positions and headings, ground-truth boxes with past and future
tracks, the model's boxes with scores and predicted trajectories, true positives (BEV IoU >= 0.5) yellow and
false positives red. ``--samples`` are indices into the split's dataset (``tools/browse_dataset.py`` numbers them
the same way); ``--scenario`` takes that scenario's samples of one ego (``--ego``, default its lowest id) in time
order, one frame each (``--out`` also keeps the frames as PNGs). ``--out x.png`` names the file of a single
sample. Options: ``--split`` (default test),
``--data-root``, ``--score-thr``, ``--resolution`` (m/px), ``--max-frames``, ``--cfg-options``.
"""
import argparse
import os.path as osp
import sys
from typing import List

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for _cli
from _cli import fail, load_config, require_file  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Draw predictions as BEV pictures or a scenario GIF')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument('--samples', type=int, nargs='+', help='dataset indices to draw')
    what.add_argument('--scenario', help='draw this scenario frame after frame')
    parser.add_argument('--out', help='folder of the PNG pictures (or, for one sample, a .png file)')
    parser.add_argument('--video', help='animated GIF of the scenario (with --scenario)')
    parser.add_argument('--ego', type=int, default=None, help='ego agent id of the scenario (default: lowest)')
    parser.add_argument('--fps', type=float, default=5.0, help='frames per second of the GIF')
    parser.add_argument('--max-frames', type=int, default=None, help='at most this many scenario frames')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='test')
    parser.add_argument('--data-root', default=None, help='override the config data_root')
    parser.add_argument('--score-thr', type=float, default=None, help='lowest drawn score (default: visualizer)')
    parser.add_argument('--resolution', type=float, default=None, help='metres per pixel (default: visualizer)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)
    if args.samples is not None and not args.out:
        parser.error('--samples needs --out')
    if args.out and args.out.lower().endswith('.png') and (args.scenario is not None or len(args.samples) != 1):
        parser.error('--out FILE.png takes exactly one --samples index; give a folder for more')
    if args.scenario is not None and not (args.video or args.out):
        parser.error('--scenario needs --video and/or --out')
    if args.video and not args.video.lower().endswith('.gif'):
        parser.error('--video writes an animated GIF: give a .gif path')
    if args.fps <= 0:
        parser.error('--fps must be > 0')
    return args


def build_dataset(cfg, split: str, data_root=None):
    """The split's dataset in test mode (ground truth in ``eval_ann_info``) with the test pipeline."""
    from mmdet3d.registry import DATASETS
    dataset_cfg = cfg[f'{split}_dataloader']['dataset']
    while 'dataset' in dataset_cfg and 'pipeline' not in dataset_cfg:  # unwrap RepeatDataset & co.
        dataset_cfg = dataset_cfg['dataset']
    dataset_cfg = dataset_cfg.copy()
    dataset_cfg.pop('indices', None)
    if data_root:
        dataset_cfg['data_root'] = data_root
    dataset_cfg['test_mode'] = True
    dataset_cfg['pipeline'] = cfg.test_dataloader.dataset.get('pipeline', dataset_cfg.get('pipeline'))
    try:
        return DATASETS.build(dataset_cfg)
    except FileNotFoundError as error:
        fail(f'cannot build the {split} dataset: {error}')


def build_model(cfg, checkpoint: str):
    """The config's model on CPU with the checkpoint's weights, in eval mode."""
    from mmengine.runner import load_checkpoint

    from mmdet3d.registry import MODELS
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.eval()


def scenario_indices(dataset, scenario: str, ego=None, max_frames=None) -> List[int]:
    """Indices of ``scenario``'s samples of one ego (default: its lowest id), in time order."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    found = [(info['time_idx'], info['ego_id'], i) for i, info in enumerate(infos) if info['scenario'] == scenario]
    if not found:
        names = sorted({info['scenario'] for info in infos})
        fail(f'scenario {scenario!r} not in this split; it has: {", ".join(names)}')
    egos = sorted({e for _, e, _ in found})
    ego = egos[0] if ego is None else ego
    if ego not in egos:
        fail(f'agent {ego} is never the ego of scenario {scenario!r}; egos: {egos}')
    chosen = [i for _, e, i in sorted(found) if e == ego]
    return chosen[:max_frames] if max_frames else chosen


def predict(model, packed: dict):
    """The model's output data sample (``pred_instances_3d`` + the input's ground truth) for one packed sample."""
    import torch

    from projects.TurboTrain.turbotrain.models.data_preprocessors.coop_data_preprocessor import coop_collate
    with torch.no_grad():
        return model.test_step(coop_collate([packed]))[0]


def main(argv=None) -> int:
    args = parse_args(argv)
    require_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config, args.cfg_options)  # imports the project (custom_imports)
    from mmengine.registry import init_default_scope
    from mmengine.utils import track_iter_progress

    from projects.TurboTrain.turbotrain.engine.hooks.coop_visualization_hook import picture_name
    from projects.TurboTrain.turbotrain.visualization import CoopBEVVisualizer, write_animation, write_image
    init_default_scope(cfg.get('default_scope', 'mmdet3d'))
    dataset = build_dataset(cfg, args.split, args.data_root)
    if args.samples is not None:
        bad = [i for i in args.samples if not 0 <= i < len(dataset)]
        if bad:
            fail(f'--samples {bad}: the {args.split} split has samples 0..{len(dataset) - 1}')
        indices = args.samples
    else:
        indices = scenario_indices(dataset, args.scenario, args.ego, args.max_frames)
    model = build_model(cfg, args.checkpoint)
    visualizer = CoopBEVVisualizer.for_files(cfg, f'visualize_predictions_{id(cfg)}', score_thr=args.score_thr,
                                             resolution=args.resolution)
    frames = []
    for index in track_iter_progress(list(indices), file=sys.stdout):
        packed = dataset[index]
        output = predict(model, packed)
        name = picture_name(output, index)
        out_file = None
        if args.out:
            out_file = args.out if args.out.lower().endswith('.png') else osp.join(args.out, f'{name}.png')
        image = visualizer.draw_bev(packed['inputs'], output)
        if out_file:
            write_image(image, out_file)
        if args.video:
            frames.append(image)
    if args.video:
        write_animation(frames, args.video, fps=args.fps)
        print(f'\n{len(frames)} frames of {args.scenario} written to {args.video}')
    if args.out:
        print(f'\n{len(indices)} pictures written to {args.out}')
    visualizer.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
