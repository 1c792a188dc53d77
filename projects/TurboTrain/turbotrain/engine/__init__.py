from . import hooks, model_wrappers, optim_wrappers  # noqa: F401
