#!/usr/bin/env python3
"""Write seed inputs for fuzz_shell: byte 0 width seed, byte 1 flags, then keys."""
import os
import sys

out_dir, stamp = sys.argv[1], sys.argv[2]
seeds = {
    'keys': b'\x3c\x00echo hello\x1b[D\x1b[Dxx\x01\x05\x15\x17\x0b\x0c\r',
    'split': b'\x3c\x02ab\x1b\xfe[\xfeA\x1b[\xfe3~\x1bO\xfeH\r\n',
    'hist': b'\x3c\x04echo 1\recho 2\r\x1b[A\x1b[A\x1b[B\x10\x0e\r',
    'tab': b'\x3c\x06st\t\te g\t\t/st\t\t\tb\t\rpkg \te\t\t\r',
    'machine': b'\x3c\x01machine on\rnosuch\rstate get\r\x03help state\rmachine off\r',
    'cancel': b'\x3c\x0blonglist\r' + b'x\x03echo after\r',
    'paste': b'\x3c\x0e' + b'echo ' + b'p' * 10000 + b'\r',
    'quotes': b'\x3c\x00echo "a b" \\x41 \\"q\\" "open\r',
    'narrow': b'\x00\x00' + b'abcdefghij' * 30 + b'\x01\x1b[C' * 40,
}
os.makedirs(out_dir, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out_dir, name), 'wb') as f:
        f.write(data)
with open(stamp, 'w') as f:
    f.write('ok\n')
