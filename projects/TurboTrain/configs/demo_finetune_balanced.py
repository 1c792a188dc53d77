# CPU demo of balanced fine-tuning (strategy 'turbotrain'; others via optim_wrapper.strategy.type=...).
_base_ = ['./demo_finetune.py']
optim_wrapper = dict(type='BalancedOptimWrapper', shared_module='trunk',
                     strategy=dict(type='turbotrain', interval=10, balance_power=1.0, momentum=0.0))
