# Balanced multi-task fine-tuning (TurboTrain component 2): detection + prediction, gradient conflicts on the
# shared trunk suppressed every `interval` updates, free steps in between. No manual loss weights.
#   tools/dist_train.sh projects/TurboTrain/configs/finetune_balanced.py 8
# Other strategies: --cfg-options optim_wrapper.strategy.type=sum|pcgrad|imtl_g|famo
_base_ = ['./finetune.py']
optim_wrapper = dict(type='BalancedOptimWrapper', shared_module='trunk',
                     strategy=dict(type='turbotrain', interval=10, balance_power=1.0, momentum=0.0))
