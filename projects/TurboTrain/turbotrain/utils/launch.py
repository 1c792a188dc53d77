"""Launch helpers shared by ``tools/train.py`` and ``tools/test.py``.

mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` unconditionally, which raises on a CPU-only torch.
On a machine without CUDA we initialise the process group ourselves (gloo) before the Runner looks for one, and
make the Runner wrap the model with :class:`DeviceAgnosticDDP`, which accepts CPU modules.
"""
import datetime
import os

import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.config import Config


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Make ``cfg`` runnable under ``launcher`` on this machine (CPU/gloo or CUDA/nccl).

    On CUDA machines nothing changes except the DDP wrapper type. On CPU-only machines with a distributed launcher,
    the gloo process group is created here from torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
    """
    if launcher == 'none':
        return
    wrapper_cfg = cfg.get('model_wrapper_cfg') or dict(
        broadcast_buffers=False, find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper_cfg.get('type', 'MMDistributedDataParallel') == 'MMDistributedDataParallel':
        # Scoped name: the Runner looks wrappers up on mmengine's root registry, which ignores the default scope.
        wrapper_cfg['type'] = 'mmdet3d.DeviceAgnosticDDP'
    cfg.model_wrapper_cfg = wrapper_cfg
    if torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise SystemExit(f'error: launcher {launcher!r} needs CUDA here; on a CPU-only machine use '
                         "'--launcher pytorch' (tools/dist_train.sh does)")
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        if mp.get_start_method(allow_none=True) is None:
            mp.set_start_method(env_cfg.get('mp_cfg', {}).get('mp_start_method', 'fork'))
        timeout = datetime.timedelta(seconds=dist_cfg.get('timeout', 1800))
        torch_dist.init_process_group(backend='gloo', rank=int(os.environ['RANK']),
                                      world_size=int(os.environ['WORLD_SIZE']), timeout=timeout)
