# The paper comparison's four recipes (full size, GPUs) as chains of training runs, for
# tools/benchmarks/paper_comparison.py and tools/train_chain.py (--recipe NAME). Stage work dirs are
# <work-dir>/<stage name>: the two TurboTrain recipes share their pretraining run ('pretrain'), trained once.
# A recipe is a list of stages (paths relative to this file) or another chain file (its `stages`).
# start_key: the config key that receives the previous stage's output; output: the file of the work dir handed on
# (default: the last checkpoint).
pretrain = dict(name='pretrain', config='../pretrain.py', output='trunk_pretrained.pth')
recipes = dict(
    one_time=[dict(name='one_time', config='one_time.py')],
    manual_4stage='../manual/chain.py',
    turbotrain_sum=[pretrain, dict(name='turbotrain_sum', config='turbotrain_sum.py',
                                   start_key='model.init_cfg.checkpoint')],
    turbotrain=[pretrain, dict(name='turbotrain', config='turbotrain.py',
                               start_key='model.init_cfg.checkpoint')],
)
