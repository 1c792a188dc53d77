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
