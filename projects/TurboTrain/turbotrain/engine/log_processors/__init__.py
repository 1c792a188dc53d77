from .balance_log_processor import BalanceLogProcessor

__all__ = ['BalanceLogProcessor']
