"""Every command in README.md and the docs (shell blocks and inline code) passes only options its tool defines.

Study pages keep the commands that produced their tables; a flag renamed or removed later, or a ``--cfg-options`` key
the tools refuse, would leave a command that fails as written. README.md's commands are also run in a tiny mode
(``tests/tools/test_readme_commands.py``); this is the static check for every page, without importing the tools.
"""
import os.path as osp
import re
import shlex

import pytest

from tests.docs.test_doc_links import DOCS, REPO_ROOT

FENCE = re.compile(r'^```(?:bash|sh|shell|console)\s*\n(.*?)^```', re.S | re.M)
INLINE = re.compile(r'`((?:python |bash )?tools/[^`\n]+)`')  # a command in running text, on one line
FLAG_LITERAL = re.compile(r"""['"](--[A-Za-z][\w-]*)['"]""")
SH_FLAG = re.compile(r'(?<![\w-])(--[A-Za-z][\w-]*)')
# launchers that hand their extra arguments to a Python tool
LAUNCHED = {'tools/dist_train.sh': 'tools/train.py', 'tools/dist_test.sh': 'tools/test.py'}
# config variables the tools refuse in --cfg-options (they were substituted where the file was read)
REFUSED_KEYS = {'data_root': '--data-root', 'max_epochs': '--epochs'}


def shell_commands(text: str):
    """The commands of the markdown's shell blocks: continuation lines joined, comments dropped, ``&&``/``;``/``|``
    split, each as a list of words."""
    for block in FENCE.findall(text):
        for line in block.replace('\\\n', ' ').splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:  # an unbalanced quote in prose-like text: not a command
                continue
            command = []
            for word in words + ['&&']:
                if word in ('&&', ';', '|', '||'):
                    if command:
                        yield command
                    command = []
                else:
                    command.append(word)


def inline_commands(text: str):
    """The commands written inline in running text (a code span starting with a tool), each as a list of words."""
    for span in INLINE.findall(FENCE.sub('', text)):
        try:
            yield shlex.split(span)
        except ValueError:
            continue


def tool_of(words):
    """(tool path, its arguments) for a command running one of the repository's tools, else None."""
    for i, word in enumerate(words):
        path = word.removeprefix('./')
        if path.startswith('tools/') and path.endswith(('.py', '.sh')):
            return path, words[i + 1:]
    return None


def defined_flags(tool: str) -> set:
    """Every ``--flag`` string literal in the tool's source (and in ``tools/_cli.py`` if it uses the shared parser)."""
    source = open(osp.join(REPO_ROOT, tool), encoding='utf-8').read()
    if tool.endswith('.sh'):
        return set(SH_FLAG.findall(source))
    flags = set(FLAG_LITERAL.findall(source))
    if '_cli' in source:
        flags |= set(FLAG_LITERAL.findall(open(osp.join(REPO_ROOT, 'tools', '_cli.py'), encoding='utf-8').read()))
    return flags


def problems(words) -> list:
    found = tool_of(words)
    if found is None:
        return []
    tool, args = found
    tool = LAUNCHED.get(tool, tool)
    if not osp.exists(osp.join(REPO_ROOT, tool)):
        return [f'{tool} does not exist']
    accepted = defined_flags(tool) | {'--help'}
    out = [f'{tool} has no option {flag}' for flag in (a.split('=', 1)[0] for a in args if a.startswith('--'))
           if flag != '--' and flag not in accepted]
    if '--cfg-options' in args:
        for option in args[args.index('--cfg-options') + 1:]:
            if option.startswith('--'):
                break
            key = option.split('=', 1)[0]
            if key in REFUSED_KEYS:
                out.append(f'{tool} refuses --cfg-options {key}=... (use {REFUSED_KEYS[key]})')
    return out


@pytest.mark.parametrize('doc', DOCS)
def test_doc_commands_pass_only_options_their_tools_define(doc):
    text = open(osp.join(REPO_ROOT, doc), encoding='utf-8').read()
    commands = list(shell_commands(text)) + list(inline_commands(text))
    wrong = [f'{" ".join(words)[:100]}: {p}' for words in commands for p in problems(words)]
    assert not wrong, f'{doc}:\n' + '\n'.join(wrong)


def test_the_check_finds_unknown_options_and_refused_keys():
    text = ('```bash\npython tools/test.py A B --data-root d/ --cfg-options a.b=1 \\\n    data_root=x/  # note\n'
            'tools/dist_train.sh C 8 --no-such-flag && python tools/train.py C --epochs 2\n```\n'
            'prose `tools/test.py --unknown-inline`\n```text\ntools/test.py --nor-this\n```\n')
    commands = list(shell_commands(text))
    assert commands == [['python', 'tools/test.py', 'A', 'B', '--data-root', 'd/', '--cfg-options', 'a.b=1',
                         'data_root=x/'],
                        ['tools/dist_train.sh', 'C', '8', '--no-such-flag'],
                        ['python', 'tools/train.py', 'C', '--epochs', '2']]
    assert [problems(c) for c in commands] == [
        ['tools/test.py refuses --cfg-options data_root=... (use --data-root)'],
        ['tools/train.py has no option --no-such-flag'],
        []]
    assert list(inline_commands(text)) == [['tools/test.py', '--unknown-inline']]
    assert problems(['tools/test.py', '--unknown-inline']) == ['tools/test.py has no option --unknown-inline']
