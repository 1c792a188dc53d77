from . import hooks, optim_wrappers  # noqa: F401
