"""Trunk-only checkpoints: export from the pretraining model, load into the fine-tuning model.

The pretraining model (``CoopMAE``) and the fine-tuning detector (``CoopPnPDetector``) both hold the shared trunk
as ``self.trunk``, built from the same config, so their state-dict keys ``trunk.*`` are identical.

Export (:func:`export_trunk_checkpoint`) writes ``dict(meta=..., state_dict={'trunk.…': tensor})``.

Load: the weight initializer ``PretrainedTrunk`` (mmengine ``WEIGHT_INITIALIZERS``), set as ``init_cfg`` of the
fine-tune model *or* of its trunk::

    model = dict(type='CoopPnPDetector', ...,
                 init_cfg=dict(type='PretrainedTrunk', checkpoint='work_dirs/pretrain/trunk_pretrained.pth'))

It accepts a trunk-only checkpoint or any full checkpoint holding ``trunk.*`` keys (e.g. a CoopMAE
``epoch_15.pth``). It refuses a trunk that does not match (missing / unexpected keys or different shapes) with the
checkpoint path and the first mismatches, logs how many keys were loaded and which modules were left to their own
initialisation ("new"), and marks the loaded trunk as initialised so that mmengine's ``init_weights`` of its
submodules (run *after* a non-``Pretrained`` init_cfg of the parent) does not overwrite the loaded weights.

``--resume`` / ``load_from``: mmengine's Runner calls ``model.init_weights()`` first and loads the resumed
checkpoint afterwards, so a resumed run ends with the resumed weights (and optimizer/scheduler state); the trunk
checkpoint file must still exist at that point.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Tuple, Union

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import _load_checkpoint, save_checkpoint
from torch import Tensor, nn

TRUNK_PREFIX = 'trunk.'


class TrunkMismatchError(RuntimeError):
    """The checkpoint's trunk does not match the model's trunk."""


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if is_model_wrapper(model) else model


def trunk_state_dict(model_or_state_dict: Union[nn.Module, Mapping[str, Tensor]],
                     prefix: str = TRUNK_PREFIX) -> 'OrderedDict[str, Tensor]':
    """The ``trunk.*`` entries (prefix kept) of a model or a state dict, moved to CPU."""
    if isinstance(model_or_state_dict, nn.Module):
        state = _unwrap(model_or_state_dict).state_dict()
    else:
        state = model_or_state_dict
    return OrderedDict((k, v.detach().cpu() if isinstance(v, Tensor) else v) for k, v in state.items()
                       if k.startswith(prefix))


def export_trunk_checkpoint(model_or_state_dict: Union[nn.Module, Mapping[str, Tensor]],
                            filename: str,
                            meta: Optional[dict] = None,
                            prefix: str = TRUNK_PREFIX) -> dict:
    """Write a trunk-only checkpoint ``dict(meta=..., state_dict=OrderedDict('trunk.…' → tensor))``.

    Args:
        model_or_state_dict: the pretraining model (possibly DDP-wrapped) or its state dict.
        filename: output path (any mmengine file backend).
        meta: extra metadata (e.g. epoch, iter, config name).
        prefix: key prefix of the trunk.

    Returns:
        The checkpoint dict that was written.
    """
    state = trunk_state_dict(model_or_state_dict, prefix)
    if not state:
        raise TrunkMismatchError(f'no "{prefix}*" keys to export; is this a model with a `trunk`?')
    checkpoint = dict(meta=dict(trunk_prefix=prefix, num_keys=len(state), **(meta or {})), state_dict=state)
    save_checkpoint(checkpoint, filename)
    return checkpoint


def load_trunk_checkpoint(filename: str, map_location: str = 'cpu',
                          prefix: str = TRUNK_PREFIX) -> 'OrderedDict[str, Tensor]':
    """Read the ``trunk.*`` entries (prefix stripped) of a trunk-only or full checkpoint."""
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    trunk = OrderedDict((k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))
    if not trunk:
        first = list(state.keys())[:5]
        raise TrunkMismatchError(f'checkpoint {filename} holds no "{prefix}*" keys (first keys: {first})')
    return trunk


def compare_trunk(trunk: nn.Module, state: Mapping[str, Tensor]) -> Tuple[List[str], List[str], List[str]]:
    """Differences between a trunk module and a (prefix-stripped) trunk state dict.

    Returns:
        (missing keys, unexpected keys, shape mismatches as ``'key: checkpoint (…) vs model (…)'``).
    """
    own = trunk.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f'{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}' for k, v in own.items()
              if k in state and isinstance(v, Tensor) and tuple(state[k].shape) != tuple(v.shape)]
    return missing, unexpected, shapes


def _mark_initialised(module: nn.Module) -> None:
    """Stop mmengine's ``init_weights`` from re-initialising ``module`` and its submodules."""
    for sub in module.modules():
        if hasattr(sub, '_is_init'):
            sub._is_init = True  # BaseModule: `is_init` is a read-only property over `_is_init`
        elif hasattr(sub, 'init_weights'):
            sub.is_init = True


#: trunk submodules a pretrained trunk may lack (``CoopTrunk.compressor``: the learned channel compression of what
#: the cooperators transmit, trained in fine-tuning)
FINE_TUNE_ONLY_PREFIXES = ('compressor.', )


def load_pretrained_trunk(model: nn.Module, filename: str, map_location: str = 'cpu',
                          prefix: str = TRUNK_PREFIX, show_keys: int = 5) -> Dict[str, List[str]]:
    """Load the trunk of ``filename`` into ``model.trunk`` (or into ``model`` itself if it has no ``trunk``).

    Raises:
        TrunkMismatchError: with the checkpoint path and the first ``show_keys`` missing / unexpected keys and
            shape mismatches, if the trunks differ in any key or shape (keys under
            :data:`FINE_TUNE_ONLY_PREFIXES` may be missing from the checkpoint).

    Returns:
        dict(loaded=[full key names loaded], new=[model keys outside the trunk, left to their own init]).
    """
    model = _unwrap(model)
    trunk = model.trunk if hasattr(model, 'trunk') else model
    trunk_name = 'trunk' if trunk is not model else model.__class__.__name__
    state = load_trunk_checkpoint(filename, map_location, prefix)
    missing, unexpected, shapes = compare_trunk(trunk, state)
    # modules that only fine-tuning adds (pretraining has nothing to transmit): left to their own init
    fine_tune_only = [k for k in missing if k.startswith(FINE_TUNE_ONLY_PREFIXES)]
    missing = [k for k in missing if not k.startswith(FINE_TUNE_ONLY_PREFIXES)]
    if trunk is not model:  # name keys as they appear in the checkpoint and the model
        missing, unexpected, shapes = ([prefix + k for k in items] for items in (missing, unexpected, shapes))
    if missing or unexpected or shapes:
        lines = [f'PretrainedTrunk: the trunk in checkpoint "{filename}" does not match the model\'s {trunk_name} '
                 f'({type(trunk).__name__}); is the fine-tune trunk config the pretraining one?']
        for title, items in (('missing in checkpoint', missing), ('unexpected in checkpoint', unexpected),
                             ('shape mismatch', shapes)):
            if items:
                lines.append(f'  {title} ({len(items)}): ' + '; '.join(items[:show_keys])
                             + (' …' if len(items) > show_keys else ''))
        raise TrunkMismatchError('\n'.join(lines))
    trunk.load_state_dict(state, strict=not fine_tune_only)
    _mark_initialised(trunk)

    loaded = [prefix + k for k in state] if trunk is not model else list(state)
    loaded_set = set(loaded)
    new = [k for k in model.state_dict() if k not in loaded_set] if trunk is not model else []
    new_modules = sorted({'.'.join(k.split('.')[:2]) for k in new})
    print_log(f'PretrainedTrunk: loaded {len(loaded)} trunk keys from {filename} into '
              f'{type(model).__name__}.{trunk_name if trunk is not model else ""}; '
              f'{len(new)} keys are new (not in the checkpoint, initialised by their own init_cfg): '
              f'{new_modules}', logger='current')
    return dict(loaded=loaded, new=new)


@WEIGHT_INITIALIZERS.register_module(name='PretrainedTrunk')
class PretrainedTrunkInit:
    """Weight initializer ``dict(type='PretrainedTrunk', checkpoint=...)`` loading ``trunk.*`` weights.

    Put it in the ``init_cfg`` of the fine-tune detector (loads into ``detector.trunk``) or of the trunk itself.

    Args:
        checkpoint: trunk-only (``MAEPretrainHook`` output) or full checkpoint path.
        map_location: where tensors are mapped when reading.
        prefix: key prefix of the trunk in the checkpoint.
    """

    def __init__(self, checkpoint: str, map_location: str = 'cpu', prefix: str = TRUNK_PREFIX) -> None:
        self.checkpoint = checkpoint
        self.map_location = map_location
        self.prefix = prefix

    def __call__(self, module: nn.Module) -> None:
        if '://' not in self.checkpoint and not osp.isfile(self.checkpoint):
            raise FileNotFoundError(f'PretrainedTrunk: checkpoint "{self.checkpoint}" does not exist '
                                    '(run the pretraining config first, or fix the path)')
        load_pretrained_trunk(module, self.checkpoint, self.map_location, self.prefix)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: trunk loaded from {self.checkpoint}'


__all__ = ['export_trunk_checkpoint', 'load_trunk_checkpoint', 'load_pretrained_trunk', 'trunk_state_dict',
           'compare_trunk', 'PretrainedTrunkInit', 'TrunkMismatchError', 'TRUNK_PREFIX']
