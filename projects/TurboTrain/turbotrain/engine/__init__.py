from . import hooks, log_processors, model_wrappers, optim_wrappers  # noqa: F401
