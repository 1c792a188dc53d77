"""``CoopVisualizationHook``: BEV pictures of the model's predictions during validation and testing.

The cooperative counterpart of mmdet3d's ``Det3DVisualizationHook`` (which reads an image from ``img_path`` and so
cannot draw these samples). It hands each sample's inputs (the points of every agent-frame) and its output data
sample (ground truth in ``eval_ann_info``, predictions in ``pred_instances_3d``) to the runner's
:class:`CoopBEVVisualizer`:

* validation: every ``interval`` iterations the first sample of the batch goes to the vis backends (local
  ``vis_data/vis_image`` files, TensorBoard images) under ``val_bev``;
* test: every ``test_interval``-th sample is drawn; with ``test_out_dir`` as ``<sample_idx>_<scenario>_<frame>
  _ego<id>.png`` files there, else to the vis backends under ``test_bev``; ``show`` opens a window instead.

``tools/test.py CONFIG CKPT --show-dir DIR`` switches it on through :func:`enable_visualization`.
"""
import os
import os.path as osp
from typing import Any, Optional, Sequence

from mmengine.hooks import Hook

from mmdet3d.registry import HOOKS
from ...models.data_preprocessors.coop_data_preprocessor import split_samples

VISUALIZATION_HOOK = 'CoopVisualizationHook'
VISUALIZER = 'CoopBEVVisualizer'


def picture_name(data_sample: Any, index: int) -> str:
    """``<sample_idx>_<scenario>_<frame>_ego<id>``, or ``sample_<index>`` without that metainfo."""
    meta = data_sample.metainfo
    if 'scenario' not in meta:
        return f'sample_{index:05d}'
    return f'{int(meta.get("sample_idx", index)):05d}_{meta["scenario"]}_{meta.get("frame", "")}_ego' \
           f'{meta.get("ego_id", "")}'


@HOOKS.register_module()
class CoopVisualizationHook(Hook):
    """Draw validation and test predictions as BEV pictures (see the module docstring).

    Args:
        draw: nothing happens unless True (``--show-dir`` / ``--show`` set it).
        interval: validation iterations between two pictures.
        test_interval: draw every ``test_interval``-th test sample.
        score_thr: lowest drawn prediction score; None = the visualiser's ``score_thr``.
        show: show each test picture in a window (then nothing goes to the backends).
        wait_time: seconds a shown picture stays (0: until a key is pressed).
        test_out_dir: folder of the test pictures (created); None sends them to the vis backends.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 test_interval: int = 1,
                 score_thr: Optional[float] = None,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None) -> None:
        self.draw = bool(draw)
        self.interval = max(int(interval), 1)
        self.test_interval = max(int(test_interval), 1)
        self.score_thr = None if score_thr is None else float(score_thr)
        self.show = bool(show)
        self.wait_time = float(wait_time)
        self.test_out_dir = test_out_dir
        self._test_index = 0

    def _visualizer(self, runner):
        from ...visualization import CoopBEVVisualizer
        visualizer = runner.visualizer
        if not isinstance(visualizer, CoopBEVVisualizer):
            raise TypeError(f'{VISUALIZATION_HOOK} draws with a {VISUALIZER}; the config\'s visualizer is '
                            f'{type(visualizer).__name__} (set visualizer = dict(type=\'{VISUALIZER}\', ...))')
        return visualizer

    def before_run(self, runner) -> None:
        if self.draw:
            self._visualizer(runner)  # fail before any work when it cannot draw

    def before_test(self, runner) -> None:
        self._test_index = 0
        if self.draw and self.test_out_dir is not None:
            os.makedirs(self.test_out_dir, exist_ok=True)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw or not outputs:
            return
        step = runner.iter + batch_idx
        if step % self.interval:
            return
        inputs = split_samples(data_batch['inputs'])
        self._visualizer(runner).add_datasample('val_bev', inputs[0], outputs[0], pred_score_thr=self.score_thr,
                                                step=step)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.draw:
            return
        visualizer = self._visualizer(runner)
        inputs = split_samples(data_batch['inputs'])
        for data_input, data_sample in zip(inputs, outputs):
            index = self._test_index
            self._test_index += 1
            if index % self.test_interval:
                continue
            name = picture_name(data_sample, index)
            out_file = None if self.test_out_dir is None else osp.join(self.test_out_dir, f'{name}.png')
            visualizer.add_datasample('test_bev' if out_file is None and not self.show else name, data_input,
                                      data_sample, show=self.show, wait_time=self.wait_time, out_file=out_file,
                                      pred_score_thr=self.score_thr, step=index)


def enable_visualization(cfg: Any, show_dir: Optional[str] = None, show: bool = False) -> None:
    """Switch the config's visualization hook on for a test run (``tools/test.py --show-dir / --show``).

    Every config gets one through ``configs/_base_/default_runtime.py``; a config without it, or with mmdet3d's
    image-based ``Det3DVisualizationHook`` / ``Det3DLocalVisualizer``, gets the cooperative ones. ``show_dir`` is
    used as given (relative to the current folder).
    """
    hooks = dict(cfg.get('default_hooks') or {})
    hook = dict(hooks.get('visualization') or {})
    if hook.get('type') in (None, 'Det3DVisualizationHook'):
        hook['type'] = VISUALIZATION_HOOK
    hook['draw'] = True
    if show:
        hook['show'] = True
    if show_dir:
        hook['test_out_dir'] = show_dir
    hooks['visualization'] = hook
    cfg.default_hooks = hooks
    visualizer = dict(cfg.get('visualizer') or dict(vis_backends=[dict(type='LocalVisBackend')]))
    if visualizer.get('type') in (None, 'Det3DLocalVisualizer', 'Visualizer'):
        visualizer['type'] = VISUALIZER
    cfg.visualizer = visualizer
