#!/usr/bin/env python
"""Create info files for a dataset.

    python tools/create_data.py v2xpnp --root-path data/v2xpnp --out-dir data/v2xpnp [--strict] [--overwrite]
                                       [--workers N] [--splits train val] [--metainfo-config CONFIG]
                                       [--lidar-check full|header]

Writes ``v2xpnp_infos_<split>.pkl`` and ``v2xpnp_conversion_report.json`` into ``--out-dir`` (nothing else, never
into the dataset tree unless ``--out-dir`` is inside it) and prints a summary with every skipped or suspicious file.
Exit status: 0 done; 1 strict mode found errors/warnings (nothing written); 2 bad arguments, existing files, or a
split with no scenario / no usable frame (nothing written).
"""
import argparse
import sys
import time

import _cli  # noqa: F401  (first: puts the repo root on sys.path)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Create TurboTrain info files')
    parser.add_argument('dataset', choices=['v2xpnp'], help='dataset kind')
    parser.add_argument('--root-path', required=True, help='dataset root holding train/ val/ test/')
    parser.add_argument('--out-dir', default=None, help='where info files go (default: --root-path)')
    parser.add_argument('--splits', nargs='+', default=None, help='splits to convert (default: all present)')
    parser.add_argument('--workers', type=int, default=0, help='reader processes (0 = main process)')
    parser.add_argument('--strict', action='store_true',
                        help='fail (exit 1, write nothing) on any error or warning')
    parser.add_argument('--overwrite', action='store_true', help='replace existing info files (atomically)')
    parser.add_argument('--metainfo-config', default=None,
                        help='config whose dataset metainfo gives classes / obj_type_to_class '
                             '(default: V2XPnPSeqDataset.METAINFO)')
    parser.add_argument('--lidar-check', choices=['full', 'header'], default='full',
                        help="'full' reads every point file (counts and reports NaN points); 'header' checks sizes "
                             'and headers only (truncated files are still caught): a fast first pass over a large tree')
    parser.add_argument('--quiet', action='store_true', help='print only the final line')
    return parser.parse_args(argv)


def _metainfo_from_config(path: str) -> dict:
    cfg = _cli.load_config(path)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg.get(key, {}).get('dataset', {})
        if 'metainfo' in dataset:
            return dict(dataset['metainfo'])
    return dict(cfg.get('metainfo', {}))


def main(argv=None) -> int:
    args = parse_args(argv)
    from projects.TurboTrain.turbotrain.datasets.converters import (DEFAULT_CLASSES, DEFAULT_OBJ_TYPE_TO_CLASS,
                                                                    EmptyDatasetError, convert_v2xpnp)
    classes, mapping = DEFAULT_CLASSES, DEFAULT_OBJ_TYPE_TO_CLASS
    if args.metainfo_config:
        metainfo = _metainfo_from_config(args.metainfo_config)
        classes = tuple(metainfo.get('classes', classes))
        mapping = dict(metainfo.get('obj_type_to_class', mapping))
    start = time.perf_counter()
    try:
        report = convert_v2xpnp(args.root_path, args.out_dir, splits=args.splits, workers=args.workers,
                                strict=args.strict, overwrite=args.overwrite, classes=classes,
                                obj_type_to_class=mapping, lidar_check=args.lidar_check,
                                verbose=not args.quiet)
    except (FileExistsError, FileNotFoundError, EmptyDatasetError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    except RuntimeError as err:  # strict mode
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'done in {time.perf_counter() - start:.2f} s: {report.count("error")} errors, '
          f'{report.count("warning")} warnings, {report.count("info")} infos')
    return 0


if __name__ == '__main__':
    sys.exit(main())
