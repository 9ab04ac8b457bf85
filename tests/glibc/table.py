#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""table.py KERNEL=OUTPUT...: the table of glibc's tests in docs/testing.md from the
TAP that tests/glibc/run.sh printed in the VM (vm-run's output-K.log or its
stdout), one file per kernel:  test | plain | preload."""
import re
import sys

runs = {}       # test -> mode -> kernel -> verdict
skips = {}      # test -> reason
kernels = []
# KTAP from run.sh ("ok 3 glibc NAME MODE ...", "... # SKIP" at the end),
# or the TAP of older logs ("ok - glibc NAME MODE ...").
line_re = re.compile(r'^(not ok|ok)(?: \d+)?(?: -)? glibc (\S+) (plain|preload)\b(.*)$')
skip_re = re.compile(r'^ok(?: \d+)?(?: -)? glibc (\S+) '
                     r'(?:# SKIP (.*)|\(not built: (.*)\) # SKIP)$')
for arg in sys.argv[1:]:
    kernel, path = arg.split('=', 1)
    kernels.append(kernel)
    for line in open(path, errors='replace'):
        line = line.rstrip('\r\n')
        m = line_re.match(line)
        if m:
            ok, test, mode, rest = m.groups()
            if ok == 'not ok':
                verdict = 'FAIL'
            elif '# SKIP' in rest:
                verdict = 'skip'
            else:
                verdict = 'pass'
            runs.setdefault(test, {}).setdefault(mode, {})[kernel] = verdict
            continue
        m = skip_re.match(line)
        if m:
            skips[m.group(1)] = m.group(2) or m.group(3)


def cell(by_kernel):
    verdicts = {by_kernel.get(k, 'not run') for k in kernels}
    if len(verdicts) == 1:
        return verdicts.pop()
    return ', '.join('%s %s' % (k, by_kernel.get(k, 'not run')) for k in kernels)


# In tests.list's order.
order = []
for line in open(__file__.rsplit('/', 1)[0] + '/tests.list'):
    words = line.split()
    if words and not words[0].startswith('#') and words[0] != 'skip':
        order.append(words[0].rsplit('/', 1)[-1])
tests = [t for t in order if t in runs] + [t for t in runs if t not in order]

print('| test | plain | preload |')
print('|---|---|---|')
for test in tests:
    print('| %s | %s | %s |' % (test, cell(runs[test].get('plain', {})),
                               cell(runs[test].get('preload', {}))))
for test, reason in skips.items():
    print('| %s | not built: %s | |' % (test, reason))
