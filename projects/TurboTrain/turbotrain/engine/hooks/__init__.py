from .mae_pretrain_hook import MAEPretrainHook, scheduled_mask_ratio
from .training_cost_hook import TrainingCostHook, read_cost_record

__all__ = ['MAEPretrainHook', 'scheduled_mask_ratio', 'TrainingCostHook', 'read_cost_record']
