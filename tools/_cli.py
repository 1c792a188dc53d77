"""Shared command-line plumbing for tools/*.py: repo root on sys.path, clear one-line input errors."""
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    # `projects.TurboTrain` must import from configs (custom_imports) without PYTHONPATH set by hand.
    sys.path.insert(0, REPO_ROOT)


def fail(message: str, code: int = 2) -> None:
    """Print ``error: message`` on stderr and exit (no traceback for bad user input)."""
    print(f'error: {message}', file=sys.stderr)
    sys.exit(code)


def require_file(path: str, what: str) -> str:
    """Return ``path`` if it is an existing file, else exit with a one-line error naming it."""
    if not osp.isfile(path):
        fail(f'{what} not found: {path}')
    return path


def load_config(path: str, cfg_options=None):
    """Load an mmengine config with a one-line error for a missing or broken file."""
    from mmengine.config import Config
    require_file(path, 'config file')
    try:
        cfg = Config.fromfile(path)
    except Exception as exc:  # syntax errors, missing _base_ files, failed custom imports
        fail(f'cannot load config {path}: {type(exc).__name__}: {exc}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def add_runner_args(parser) -> None:
    """Options shared by train.py and test.py: work dir, config overrides, launcher."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs (xxx=yyy)')
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
