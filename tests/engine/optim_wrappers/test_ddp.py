"""Two CPU processes (gloo) under mmengine's MMDistributedDataParallel: after N updates every rank holds exactly
the parameters a single process reaches with the same global batches."""
import copy
import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper

from projects.TurboTrain.turbotrain.engine.optim_wrappers import BalancedOptimWrapper
from .toy_multitask import flat_params, make_batches, make_model, make_plain_model, shard

WORLD_SIZE = 2
# wrapper-issued all-reduces over the 6 updates: one per suppressing update (flat buffer), one per micro-step for
# FAMO's K loss values, none for `sum` (DDP's own bucketed all-reduce on free updates is not counted)
EXPECTED_ALL_REDUCES = dict(sum=0, pcgrad=6, imtl_g=6, famo=6, turbotrain=3, turbotrain_accum_clip=2,
                            turbotrain_loss_rate=9, no_task_losses=6, torchjd_upgrad=6, torchjd_pcgrad=6,
                            torchjd_nashmtl=6, interval_cagrad=3, interval_nashmtl_accum=2)
# NashMTL's convex solver (ECOS) answers rounding-level differences of the Gramian (the mean of two
# ranks' gradients against one process's), so its runs agree with one process to the solver's tolerance; every
# rank still applies exactly the same update
TOLERANCE = dict(torchjd_nashmtl=1e-6, interval_nashmtl_accum=1e-6)
NUM_BATCHES = 6
GLOBAL_BATCH = 8
CASES = {
    'sum': (dict(type='sum'), dict()),
    'pcgrad': (dict(type='pcgrad'), dict()),
    'imtl_g': (dict(type='imtl_g'), dict()),
    'famo': (dict(type='famo', lr=0.5), dict()),
    'turbotrain': (dict(type='turbotrain', interval=2), dict()),
    # K loss values every micro-step (6) plus the flat buffer on each suppressing update (3)
    'turbotrain_loss_rate': (dict(type='turbotrain', interval=2, rebalance='loss_rate', rate_lr=0.5), dict()),
    'turbotrain_accum_clip': (dict(type='turbotrain', interval=2),
                              dict(accumulative_counts=2, clip_grad=dict(max_norm=0.05))),
    # torchjd aggregators: a QP (UPGrad), seeded randomness (PCGrad), a stateful solver (NashMTL); on TurboTrain's
    # schedule with a conic solve (CAGrad) and with accumulation
    'torchjd_upgrad': (dict(type='torchjd', aggregator='UPGrad'), dict()),
    'torchjd_pcgrad': (dict(type='torchjd', aggregator='PCGrad'), dict()),
    'torchjd_nashmtl': (dict(type='torchjd', aggregator='NashMTL'), dict()),
    'interval_cagrad': (dict(type='interval', interval=2, method=dict(type='torchjd', aggregator='CAGrad', c=0.4)),
                        dict()),
    'interval_nashmtl_accum': (dict(type='interval', interval=2, method=dict(type='torchjd', aggregator='NashMTL')),
                               dict(accumulative_counts=2)),
    # no task losses while a suppressing update blocked DDP's sync: the wrapper all-reduces .grad itself
    'no_task_losses': (dict(type='turbotrain', interval=1), dict()),
}


def _build(case: str):
    strategy, kwargs = CASES[case]
    model = make_plain_model() if case == 'no_task_losses' else make_model()
    return model, copy.deepcopy(strategy), dict(copy.deepcopy(kwargs))


def _optim_wrapper(model, strategy, kwargs):
    return BalancedOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05), strategy=strategy, **kwargs)


def _worker(rank: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=WORLD_SIZE)
    torch.set_num_threads(1)
    all_reduce = dist.all_reduce
    calls = []

    def counting_all_reduce(*args, **kwargs):  # DDP's own reducer runs in C++ and is not counted
        calls.append(1)
        return all_reduce(*args, **kwargs)

    dist.all_reduce = counting_all_reduce
    try:
        batches = make_batches(NUM_BATCHES, GLOBAL_BATCH)
        for case in CASES:
            model, strategy, kwargs = _build(case)
            ddp_model = MMDistributedDataParallel(module=model)
            wrapper = _optim_wrapper(model, strategy, kwargs)
            wrapper.initialize_count_status(ddp_model, 0, NUM_BATCHES)
            calls.clear()
            for batch in batches:
                ddp_model.train_step(shard(batch, rank, WORLD_SIZE), wrapper)
            torch.save(dict(params=flat_params(model), balance=wrapper.state_dict()['balance'],
                            all_reduces=len(calls)),
                       os.path.join(out_dir, f'{case}_rank{rank}.pt'))
    finally:
        dist.all_reduce = all_reduce
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def ddp_results(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('ddp'))
    # fork (where available) skips re-importing mmdet3d in every worker, which dominates the run time with spawn
    start_method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
    mp.start_processes(_worker, args=(_free_port(), out_dir), nprocs=WORLD_SIZE, join=True,
                       start_method=start_method)
    return {(case, rank): torch.load(os.path.join(out_dir, f'{case}_rank{rank}.pt'), weights_only=False)
            for case in CASES for rank in range(WORLD_SIZE)}


@pytest.mark.parametrize('case', list(CASES))
def test_ddp_matches_single_process(ddp_results, case):
    model, strategy, kwargs = _build(case)
    if case == 'no_task_losses':
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.05))
    else:
        wrapper = _optim_wrapper(model, strategy, kwargs)
    wrapper.initialize_count_status(model, 0, NUM_BATCHES)
    for batch in make_batches(NUM_BATCHES, GLOBAL_BATCH):
        model.train_step(batch, wrapper)
    rank0, rank1 = ddp_results[(case, 0)], ddp_results[(case, 1)]
    assert rank0['all_reduces'] == rank1['all_reduces'] == EXPECTED_ALL_REDUCES[case]
    assert torch.equal(rank0['params'], rank1['params'])
    assert rank0['balance'] == rank1['balance']
    tolerance = TOLERANCE.get(case)
    assert torch.allclose(rank0['params'], flat_params(model), rtol=tolerance or 1e-10, atol=tolerance or 1e-12)
    if case != 'no_task_losses':
        expected = wrapper.state_dict()['balance']
        assert rank0['balance']['num_updates'] == expected['num_updates']
        for key, value in expected['strategy'].items():
            got = rank0['balance']['strategy'][key]
            assert got == (value if key == 'task_names' else pytest.approx(value, rel=tolerance or 1e-9)), key
