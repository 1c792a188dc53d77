from .coop_pnp_detector import CoopPnPDetector

__all__ = ['CoopPnPDetector']
