"""A DDP wrapper that also wraps CPU modules.

mmengine's Runner builds every ``DistributedDataParallel`` subclass with ``device_ids=[LOCAL_RANK]``; PyTorch rejects
``device_ids`` for a module whose parameters live on the CPU. This wrapper drops ``device_ids`` for CPU modules and
is otherwise mmengine's ``MMDistributedDataParallel`` (same ``train_step``/``val_step``/``test_step``).
"""
from typing import Any, List, Optional

import torch.nn as nn
from mmengine.model import MMDistributedDataParallel

from mmdet3d.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class DeviceAgnosticDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that works for CPU (gloo) and GPU (nccl) modules alike."""

    def __init__(self, module: nn.Module, device_ids: Optional[List[int]] = None, **kwargs: Any) -> None:
        first_param = next(module.parameters(), None)
        if first_param is None or first_param.device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)
