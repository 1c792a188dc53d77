"""Every relative link and repository path named in README.md and the docs resolves in the repository."""
import glob
import os.path as osp
import re

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_PAGES = glob.glob(osp.join(REPO_ROOT, 'projects', 'TurboTrain', '**', '*.md'), recursive=True)
DOCS = ['README.md'] + sorted(osp.relpath(p, REPO_ROOT) for p in _PAGES)
LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')
# a repository path in backticks or in a command: starts at one of the project's own top-level folders
REPO_PATH = re.compile(r"(?<![\w./-])((?:projects|configs|tools|tests)/[^\s`'\"()\[\],;:]*)")
# what a command writes (--plot FILE, --out DIR, ...) need not exist before it runs
OUTPUT_ARG = re.compile(r'--(?:plot|out|out-dir|work-dir|work-root|dest|show-dir|video)[ =]\S+')
PLACEHOLDER = re.compile(r'[*{}<>$]|\.\.\.|/NAME|CONFIG|CKPT')


def _links(text: str):
    for target in LINK.findall(text):
        if re.match(r'^[a-z]+://', target) or target.startswith(('#', 'mailto:')):
            continue
        yield target.split('#', 1)[0]


def _repo_paths(text: str):
    for path in REPO_PATH.findall(OUTPUT_ARG.sub('', text)):
        path = path.rstrip('.')
        if not PLACEHOLDER.search(path):
            yield path


@pytest.mark.parametrize('doc', DOCS)
def test_relative_links_resolve(doc):
    text = open(osp.join(REPO_ROOT, doc), encoding='utf-8').read()
    base = osp.dirname(osp.join(REPO_ROOT, doc))
    missing = [t for t in _links(text) if t and not osp.exists(osp.normpath(osp.join(base, t)))]
    assert not missing, f'{doc}: links to missing files: {missing}'


@pytest.mark.parametrize('doc', DOCS)
def test_named_repository_paths_exist(doc):
    text = open(osp.join(REPO_ROOT, doc), encoding='utf-8').read()
    missing = sorted({p for p in _repo_paths(text) if not osp.exists(osp.join(REPO_ROOT, p))})
    assert not missing, f'{doc}: names paths that are not in the repository: {missing}'


def test_the_checks_see_links_and_paths():
    text = ('see [a](docs/x.md#y), [web](https://a.b/c) and `tools/train.py`, `projects/TurboTrain/configs/*.py`, '
            '`tools/x.py --plot projects/out.png`')
    assert list(_links(text)) == ['docs/x.md']
    assert list(_repo_paths(text)) == ['tools/train.py', 'tools/x.py']
