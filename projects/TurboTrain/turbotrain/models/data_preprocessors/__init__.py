from .coop_data_preprocessor import CoopDataPreprocessor, coop_collate, split_samples

__all__ = ['CoopDataPreprocessor', 'coop_collate', 'split_samples']
