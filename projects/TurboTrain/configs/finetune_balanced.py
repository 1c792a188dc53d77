# Balanced multi-task fine-tuning (TurboTrain component 2): detection + prediction, gradient conflicts on the
# shared trunk suppressed every `interval` updates, free steps in between. No manual loss weights.
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_balanced.py 8
# Other strategies: --cfg-options optim_wrapper.strategy.type=sum|pcgrad|imtl_g|famo
_base_ = ['./finetune.py']
# Only the type is set, so `--cfg-options optim_wrapper.strategy.type=pcgrad` switches cleanly; turbotrain's
# defaults are interval=10, balance_power=1.0, max_norm_ratio=1.0, momentum=0.0 (e.g.
# optim_wrapper.strategy.interval=5 to change).
optim_wrapper = dict(type='BalancedOptimWrapper', shared_module='trunk', strategy=dict(type='turbotrain'))
# The text log keeps the task weights and the gradient cosine of the ~20 balance/* scalars; scalars.json (and any
# other visualisation backend) gets all of them.
log_processor = dict(type='BalanceLogProcessor', text_keys=('weight_*', 'cos'))
