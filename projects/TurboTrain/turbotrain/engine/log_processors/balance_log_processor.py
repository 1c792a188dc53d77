"""A ``LogProcessor`` that keeps the text log readable when gradient balancing logs its ~20 ``balance/*`` scalars.

The visualisation backends (``scalars.json``, TensorBoard, ...) still receive every scalar: only the text line
(``Epoch(train) [..]  lr: ..  loss: ..``) keeps a summary, the ``balance/*`` keys matching ``text_keys``.
"""
from fnmatch import fnmatch
from typing import Sequence, Tuple

from mmengine.runner import LogProcessor

from mmdet3d.registry import LOG_PROCESSORS

BALANCE_PREFIX = 'balance/'


@LOG_PROCESSORS.register_module()
class BalanceLogProcessor(LogProcessor):
    """mmengine's ``LogProcessor`` with the text line's ``balance/*`` items reduced to ``text_keys``.

    Args:
        text_keys: ``fnmatch`` patterns of the ``balance/`` scalars (without the prefix) that stay in the text log;
            default the task-loss weights and the gradient cosine (``weight_det``, ``weight_pred``, ``cos``).
        **kwargs: :class:`mmengine.runner.LogProcessor` arguments (``window_size``, ``by_epoch``, ...).
    """

    def __init__(self, text_keys: Sequence[str] = ('weight_*', 'cos'), **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_keys = tuple(text_keys)

    def keep_in_text(self, name: str) -> bool:
        """Whether the scalar ``name`` (as the text line writes it, e.g. ``balance/cos_min``) stays in the text."""
        if not name.startswith(BALANCE_PREFIX):
            return True
        return any(fnmatch(name[len(BALANCE_PREFIX):], pattern) for pattern in self.text_keys)

    def get_log_after_iter(self, runner, batch_idx: int, mode: str) -> Tuple[dict, str]:
        """As :class:`LogProcessor`; the returned tag (for the backends) is untouched, the text line is reduced.

        The text line is ``<header>  name: value  name: value ...`` (mmengine joins its items with two spaces)."""
        tag, log_str = super().get_log_after_iter(runner, batch_idx, mode)
        items = log_str.split('  ')
        kept = [item for item in items if self.keep_in_text(item.split(': ', 1)[0])]
        return tag, '  '.join(kept)
