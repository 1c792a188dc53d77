import pytest
import torch


@pytest.fixture(autouse=True, scope='session')
def mmdet3d_scope():
    """Register mmdet3d + TurboTrain modules and make 'mmdet3d' the default registry scope."""
    import projects.TurboTrain.turbotrain  # noqa: F401
    from mmdet3d.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(1)
