from .coop_trunk import CoopTrunk

__all__ = ['CoopTrunk']
