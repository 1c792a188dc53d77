from .mae_pretrain_hook import MAEPretrainHook, scheduled_mask_ratio

__all__ = ['MAEPretrainHook', 'scheduled_mask_ratio']
