"""Shared command-line plumbing for tools/*.py: the repo root on sys.path, input checks that end in one clear
``error:`` line (only rank 0 prints it under torchrun), ``--data-root`` / ``--epochs`` and checked ``--cfg-options``.

Import it first in every tool (``import _cli``): it puts the repo root on ``sys.path`` so that ``projects.TurboTrain``
imports (configs' ``custom_imports``) without PYTHONPATH set by hand.
"""
import difflib
import inspect
import os
import os.path as osp
import sys
import zipfile
from typing import Dict, Iterable, List, Optional, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

#: the data set types the V2XPnP converter writes info files for (the hint names tools/create_data.py)
CONVERTED_TYPES = ('V2XPnPSeqDataset', )


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (or not launched by torchrun at all)."""
    return os.environ.get('RANK', os.environ.get('LOCAL_RANK', '0')) == '0'


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` on stderr (rank 0 only) and exit with ``code`` (no traceback for bad user input)."""
    if is_rank_zero():
        print(f'error: {message}', file=sys.stderr, flush=True)
    sys.exit(code)


def require_file(path: str, what: str) -> str:
    """Return ``path`` if it is an existing file, else exit with a one-line error naming it."""
    if not osp.isfile(path):
        fail(f'{what} not found: {path}')
    return path


def check_checkpoint(path: str, what: str = 'checkpoint') -> str:
    """Exit with one line naming ``path`` when it is missing, truncated or not a PyTorch checkpoint.

    ``torch.save`` writes a zip archive whose directory sits at the end of the file, so a truncated copy has none;
    reading the directory costs no unpickling. Old (non-zip) checkpoints are loaded once to check them.
    """
    require_file(path, what)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            fail(f'{what} {path} is unreadable: {exc}')
        if not any(name.endswith('/data.pkl') or name == 'data.pkl' for name in names):
            fail(f'{what} {path} is a zip file but not a PyTorch checkpoint (no data.pkl inside)')
        return path
    with open(path, 'rb') as f:
        if f.read(4) == b'PK\x03\x04':  # a zip archive's start without its directory at the end
            fail(f'{what} {path} is corrupt or truncated (a zip archive cut short: an interrupted save or copy?)')
    import torch
    try:
        torch.load(path, map_location='cpu', weights_only=False)
    except Exception as exc:  # truncated or not a checkpoint: torch's own message, on one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f'{what} {path} is corrupt or truncated (torch.load: {reason})')
    return path


# ------------------------------------------------------------------------------------------------------ config
def load_config(path: str, cfg_options: Optional[dict] = None):
    """Load an mmengine config with a one-line error for a missing or broken file, then :func:`merge_cfg_options`."""
    from mmengine.config import Config
    require_file(path, 'config file')
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # syntax errors, missing _base_ files, failed custom imports
        fail(f'cannot load config {path}: {type(exc).__name__}: {exc}')
    merge_cfg_options(cfg, cfg_options, path)
    return cfg


def merge_cfg_options(cfg, cfg_options: Optional[dict], path: str) -> None:
    """Merge ``--cfg-options`` after checking every key (:func:`check_cfg_options`); one-line error otherwise."""
    if cfg_options:
        problem = check_cfg_options(cfg, cfg_options)
        if problem:
            fail(f'--cfg-options {problem} (config {path})')
        cfg.merge_from_dict(cfg_options)


def runner_keys() -> set:
    """Top-level config keys something reads after parsing: the Runner's arguments and the config machinery's."""
    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'} | {
        'custom_imports', 'runner_type', 'default_scope', 'launcher', 'work_dir'}


def _registered_params(type_name) -> Optional[set]:
    """Constructor arguments of the registered class ``type_name`` (any mmdet3d/mmengine registry, or our balancing
    strategies); None when it is not found or takes ``**kwargs`` (then any key may be right)."""
    if not isinstance(type_name, str):
        return None
    import mmdet3d.registry as mmdet3d_registry
    from mmengine.registry import Registry

    from projects.TurboTrain.turbotrain.engine.optim_wrappers.strategies.registry import BALANCE_STRATEGIES
    registries = [value for value in vars(mmdet3d_registry).values() if isinstance(value, Registry)]
    found = []
    for registry in registries + [BALANCE_STRATEGIES]:
        try:
            obj = registry.get(type_name)
        except Exception:  # a registry whose lazy imports fail is not the one
            obj = None
        if obj is not None:
            found.append(obj)
    params = set()
    for obj in found:
        target = obj.__init__ if inspect.isclass(obj) else obj
        try:
            signature = inspect.signature(target)
        except (TypeError, ValueError):
            return None
        if any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
            return None
        params |= set(signature.parameters) - {'self'}
    return params or None


#: keys accepted by untyped dicts that mmengine passes on as keyword arguments (new keys there are checked)
_DATALOADER_KEYS = {
    'dataset', 'batch_size', 'shuffle', 'sampler', 'batch_sampler', 'num_workers', 'collate_fn', 'pin_memory',
    'drop_last', 'timeout', 'worker_init_fn', 'multiprocessing_context', 'generator', 'prefetch_factor',
    'persistent_workers', 'pin_memory_device', 'in_order'}
_UNTYPED_KEYS = {
    'randomness': {'seed', 'deterministic', 'diff_rank_seed'},
    'env_cfg': {'cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit'},
    'auto_scale_lr': {'enable', 'base_batch_size'},
}


def _allowed_new_keys(path: Sequence[str], parent) -> Optional[set]:
    """Which new keys the dict at ``path`` accepts: a set to check against, or None when any key may be right."""
    if 'type' in parent:
        return _registered_params(parent['type'])
    if len(path) == 1 and path[0].endswith('_dataloader'):
        return _DATALOADER_KEYS
    if len(path) == 1 and path[0] in _UNTYPED_KEYS:
        return _UNTYPED_KEYS[path[0]]
    return None


def _nearest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in choices], n=3, cutoff=0.6)
    return f'; did you mean {", ".join(close)}?' if close else ''


def _uses_of(cfg, value, prefix: str = '') -> List[str]:
    """Dotted paths under ``cfg`` (not top-level keys) whose value equals ``value``."""
    found = []
    items = cfg.items() if isinstance(cfg, dict) else enumerate(cfg) if isinstance(cfg, (list, tuple)) else []
    for key, item in items:
        path = f'{prefix}{key}'
        if prefix and not isinstance(item, (dict, list, tuple)) and type(item) is type(value) and item == value:
            found.append(path)
        elif isinstance(item, (dict, list, tuple)):
            found.extend(_uses_of(item, value, path + '.'))
    return found


def check_cfg_options(cfg, options: Dict[str, object]) -> Optional[str]:
    """Why ``options`` (``--cfg-options`` as parsed by ``DictAction``) would not do what they say, or None.

    The rule: every key must name something the config has, walking dicts by key and lists by index
    (``param_scheduler.1.T_max``), except that a part below the top level may be new where its dict takes it, and
    then the rest of the key is inside that new value (``model.init_cfg.type`` + ``model.init_cfg.checkpoint``
    create ``model.init_cfg``). A dict takes:
    - with a ``type`` (a registered component): a keyword of its class's constructor (any key when the class
      takes ``**kwargs``), e.g. ``optim_wrapper.strategy.interval``, ``optim_wrapper.strategy.warmup_weights.pred``;
    - ``*_dataloader``, ``randomness``, ``env_cfg``, ``auto_scale_lr``: the keywords mmengine passes them to;
    - any other dict (e.g. ``model.train_cfg``): any key.
    A new top-level key, or a top-level variable that the Runner never reads (``data_root``, ``max_epochs``: they
    were copied into the dicts that use them when the file was parsed), is refused, naming where its value went,
    unless every key its value went to is set in the same options (then it is merely redundant).
    """
    top_level = runner_keys()
    cfg = getattr(cfg, '_cfg_dict', cfg)  # a Config wraps its ConfigDict
    for key, value in options.items():
        parts = key.split('.')
        if len(parts) == 1:
            if key in cfg and key not in top_level:
                uses = sorted(_uses_of(cfg, cfg[key]), key=lambda path: path.count('.'))  # the plainest first
                if uses and all(use in options for use in uses):
                    continue  # redundant next to the keys that use it (e.g. data_root with every *.data_root)
                where = f'; it was copied into {", ".join(uses[:6])}{" ..." if len(uses) > 6 else ""}' if uses else ''
                flag = ' (or use --data-root)' if key == 'data_root' else \
                    ' (or use --epochs)' if key == 'max_epochs' else ''
                return (f'{key}: a variable of the config file, already substituted where the file was read, so '
                        f'setting it changes nothing{where}: set those keys{flag}')
            if key not in cfg and key not in top_level:
                return f'{key}: no such key in the config{_nearest(key, list(cfg.keys()))}'
            continue
        node = cfg
        for depth, part in enumerate(parts):
            where = '.'.join(parts[:depth]) or '(top level)'
            if isinstance(node, (list, tuple)):
                if not part.isdigit() or int(part) >= len(node):
                    return f'{key}: {where} is a list of {len(node)}; {part!r} is not an index of it'
                node = node[int(part)]
            elif isinstance(node, dict):
                if part in node:
                    node = node[part]
                    continue
                if depth == 0:
                    return f'{key}: no such key in the config{_nearest(part, cfg.keys())}'
                allowed = _allowed_new_keys(parts[:depth], node)
                if allowed is not None and part not in allowed:
                    return (f'{key}: {where} has no key {part!r} and does not take one'
                            f'{_nearest(part, set(node.keys()) | allowed)}')
                break  # a new value the dict takes: what is inside it is for its builder to check
            else:
                return f'{key}: {where} is a {type(node).__name__}, not a dict or list'
    return None


# ------------------------------------------------------------------------------------------ data root, epochs
def leaf_datasets(dataset_cfg) -> list:
    """The dataset dicts that read files, below wrappers such as RepeatDataset / ConcatDataset."""
    if isinstance(dataset_cfg, (list, tuple)):
        return [leaf for item in dataset_cfg for leaf in leaf_datasets(item)]
    if not isinstance(dataset_cfg, dict):
        return []
    if 'datasets' in dataset_cfg:
        return leaf_datasets(dataset_cfg['datasets'])
    if 'dataset' in dataset_cfg and 'ann_file' not in dataset_cfg:
        return leaf_datasets(dataset_cfg['dataset'])
    return [dataset_cfg]


def set_data_root(cfg, data_root: str) -> None:
    """Point every dataloader's dataset (and evaluator ann files, if any) at ``data_root``."""
    data_root = data_root.rstrip('/') + '/'
    cfg.data_root = data_root
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key):
            for dataset in leaf_datasets(cfg[key].get('dataset')):
                dataset['data_root'] = data_root
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key)
        for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
            if isinstance(evaluator, dict) and evaluator.get('ann_file') and not osp.isabs(evaluator['ann_file']):
                evaluator['ann_file'] = osp.join(data_root, osp.basename(evaluator['ann_file']))


def set_epochs(cfg, epochs: int) -> None:
    """Train for ``epochs`` epochs: ``train_cfg.max_epochs``, and every epoch-valued key that followed the old count.

    Epoch-based schedulers (``by_epoch=True``): ``begin``/``end``/``T_max`` equal to the old count become ``epochs``;
    other epoch values (a step at epoch 4 of 6, ``milestones``) scale with ``epochs / old``. Iteration-based ones
    (a warm-up over 50 iterations) are kept. ``val_interval`` equal to the old count becomes ``epochs`` (validate at
    the end), a larger one is kept (never validate), a smaller one is capped at ``epochs``.
    """
    train_cfg = cfg.get('train_cfg') or {}
    if 'max_epochs' not in train_cfg:
        fail('--epochs: the config trains by iterations (train_cfg has no max_epochs); use --cfg-options '
             'train_cfg.max_iters=N')
    old = int(train_cfg['max_epochs'])
    train_cfg['max_epochs'] = epochs
    if 'max_epochs' in cfg:
        cfg.max_epochs = epochs

    def scaled(value, integer=True):
        if value == old:
            return epochs
        new = value * epochs / old
        return max(1, round(new)) if integer else new

    schedulers = cfg.get('param_scheduler') or []
    for scheduler in schedulers if isinstance(schedulers, (list, tuple)) else [schedulers]:
        if not scheduler.get('by_epoch', True):
            continue
        for name in ('begin', 'end', 'T_max', 'step_size'):
            if isinstance(scheduler.get(name), (int, float)) and scheduler[name] > 0:
                if name == 'end' and scheduler[name] > old:  # "until the end" written as a large number
                    continue
                scheduler[name] = scaled(scheduler[name], isinstance(scheduler[name], int))
        if scheduler.get('milestones'):
            scheduler['milestones'] = [scaled(m) for m in scheduler['milestones']]
    interval = train_cfg.get('val_interval')
    if isinstance(interval, int):
        if interval == old:
            train_cfg['val_interval'] = epochs
        elif interval < old:
            train_cfg['val_interval'] = min(interval, epochs)


def check_data(cfg, loader_keys: Sequence[str]) -> None:
    """Exit with one line when a dataloader's info (ann) file is missing, naming it and the command that makes it."""
    for key in loader_keys:
        loader = cfg.get(key)
        if not loader:
            continue
        for dataset in leaf_datasets(loader.get('dataset')):
            ann_file, data_root = dataset.get('ann_file'), dataset.get('data_root') or ''
            if not ann_file:
                continue
            path = ann_file if osp.isabs(ann_file) or not data_root else osp.join(data_root, ann_file)
            if osp.isfile(path):
                continue
            root = data_root.rstrip('/') or osp.dirname(path)
            missing = f'data root {root} does not exist' if not osp.isdir(root) else f'no info file {path}'
            if dataset.get('type') in CONVERTED_TYPES:
                hint = (f'run tools/create_data.py v2xpnp --root-path {root} first (synthetic data: bash '
                        'tools/quickstart.sh), or pass --data-root DIR')
            else:
                hint = 'create it or pass --data-root DIR'
            fail(f'{missing} ({key}): {hint}')


def check_init_checkpoints(cfg) -> None:
    """``model.init_cfg.checkpoint`` (a pretrained trunk) must exist before the Runner starts."""
    init_cfg = (cfg.get('model') or {}).get('init_cfg')
    for item in init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]:
        if isinstance(item, dict) and isinstance(item.get('checkpoint'), str) and '://' not in item['checkpoint']:
            path = item['checkpoint']
            if not osp.isfile(path):
                fail(f'model.init_cfg.checkpoint not found: {path} (run the pretraining that exports it, e.g. '
                     'tools/train.py projects/TurboTrain/configs/demo_pretrain.py, or set --cfg-options '
                     'model.init_cfg.checkpoint=PATH)')
            check_checkpoint(path, 'model.init_cfg.checkpoint')


# ------------------------------------------------------------------------------------------------ arguments
def add_runner_args(parser) -> None:
    """Options shared by train.py and test.py: work dir, data root, config overrides, launcher."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and metrics')
    parser.add_argument('--data-root', help='dataset root with the info files (sets every dataloader\'s data_root)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs (xxx=yyy); a key the config does not have '
                             'is refused')
    parser.add_argument('--check', action='store_true',
                        help='check the config, data and checkpoints, then exit without building the Runner')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def set_work_dir(cfg, config_path: str, work_dir=None) -> None:
    """``--work-dir`` if given, else the config's ``work_dir``, else ``work_dirs/<config name>`` (as mmdet3d)."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg, launcher: str):
    """The mmengine Runner for ``cfg`` under ``launcher``, with CPU (gloo) distributed support."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from projects.TurboTrain.turbotrain.utils import prepare_distributed
    cfg.launcher = launcher
    prepare_distributed(cfg, launcher)
    return Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)


def local_rank_is_zero() -> bool:
    return os.environ.get('LOCAL_RANK', '0') == '0'


def add_robustness_args(parser) -> None:
    """Test-time robustness options (pose noise, latency) shared by test.py and the sweep tool."""
    parser.add_argument('--pose-noise', nargs=2, type=float, metavar=('POS_STD', 'ROT_STD'),
                        help="Gaussian noise on the cooperators' poses: x/y std in metres and yaw std in degrees "
                             '(CoopPoseNoise inserted first in the test pipeline)')
    parser.add_argument('--noise-seed', type=int, default=0, help='seed of the pose noise (per sample)')
    parser.add_argument('--latency', type=int, default=None, metavar='K',
                        help="cooperators' data delayed by K frames of 100 ms (test dataset cooperator_delay)")


def apply_robustness(cfg, pose_noise=None, noise_seed: int = 0, latency=None, loader: str = 'test_dataloader'):
    """Set pose noise ``(pos_std m, rot_std deg)`` and/or ``latency`` (frames) on ``cfg[loader].dataset``.

    The noise transform goes first in the pipeline (it must precede anything that reads ``agent_poses``);
    an existing ``CoopPoseNoise`` there is replaced. Returns ``cfg``.
    """
    if pose_noise is None and latency is None:
        return cfg
    dataset = cfg[loader]['dataset']
    if 'pipeline' not in dataset or 'ann_file' not in dataset:
        fail(f'{loader}.dataset is a {dataset.get("type")!r} wrapper: set pose noise / latency in its datasets')
    if pose_noise is not None:
        pos_std, rot_std = (float(v) for v in pose_noise)
        if pos_std < 0 or rot_std < 0:
            fail(f'--pose-noise standard deviations must be >= 0, got {pos_std} {rot_std}')
        pipeline = [step for step in dataset['pipeline'] if step.get('type') != 'CoopPoseNoise']
        dataset['pipeline'] = [dict(type='CoopPoseNoise', pos_std=pos_std, rot_std=rot_std,
                                    seed=int(noise_seed))] + pipeline
    if latency is not None:
        if int(latency) < 0:
            fail(f'--latency must be >= 0 frames, got {latency}')
        dataset['cooperator_delay'] = int(latency)
    return cfg
