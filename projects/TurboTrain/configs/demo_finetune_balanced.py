# CPU demo of balanced fine-tuning (strategy 'turbotrain'; others via optim_wrapper.strategy.type=...).
_base_ = ['./demo_finetune.py']
# Only the type is set, so `--cfg-options optim_wrapper.strategy.type=pcgrad` switches cleanly; turbotrain's
# defaults are interval=10, warmup=0, balance_power=1.0, max_norm_ratio=1.0, momentum=0.0 (e.g.
# optim_wrapper.strategy.interval=5 to change). the study configs and demo_turbotrain.py use warmup=100: see
# TurboTrainStrategy.
optim_wrapper = dict(type='BalancedOptimWrapper', shared_module='trunk', strategy=dict(type='turbotrain'))
# The text log keeps the task weights and the gradient cosine of the ~20 balance/* scalars; scalars.json (and any
# other visualisation backend) gets all of them.
log_processor = dict(type='BalanceLogProcessor', text_keys=('weight_*', 'cos'))
