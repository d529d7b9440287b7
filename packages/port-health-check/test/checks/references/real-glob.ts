// glob(3) as nginx (ngx_open_glob) and Redis 7 (loadServerConfig) call it: glibc's glob(pattern, 0, NULL, &g), in the
// C locale they run in under systemd. Python's ctypes calls it, after setlocale(LC_ALL, "C") (Python itself starts in
// C.UTF-8); patterns and paths go as hex, so bytes that are not UTF-8 pass as themselves.
import { spawnSync } from 'node:child_process';

const GLOB = `
import ctypes, json, sys
libc = ctypes.CDLL(None)
libc.setlocale(6, b"C")  # LC_ALL
class Glob(ctypes.Structure):
    _fields_ = [("pathc", ctypes.c_size_t), ("pathv", ctypes.POINTER(ctypes.c_char_p)), ("offs", ctypes.c_size_t),
                ("flags", ctypes.c_int)] + [("f%d" % i, ctypes.c_void_p) for i in range(5)]
job = json.load(sys.stdin)
prefix = job["prefix"].encode()
out = []
for pattern in job["patterns"]:
    g = Glob()
    libc.glob(prefix + bytes.fromhex(pattern), 0, None, ctypes.byref(g))
    out.append([g.pathv[i][len(prefix):].hex() for i in range(g.pathc)])
    libc.globfree(ctypes.byref(g))
json.dump(out, sys.stdout)
`;

/** What glob(3) gives for each pattern (bytes) after `prefix` (a directory of the test's): the paths, `prefix` cut, in its order. */
export function realGlob(prefix: string, patterns: readonly Buffer[]): Buffer[][] {
  const run = spawnSync('python3', ['-c', GLOB], {
    input: JSON.stringify({ prefix, patterns: patterns.map((pattern) => pattern.toString('hex')) }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`python3 glob(3): ${run.stderr || run.error}`);
  return (JSON.parse(run.stdout) as string[][]).map((paths) => paths.map((path) => Buffer.from(path, 'hex')));
}
