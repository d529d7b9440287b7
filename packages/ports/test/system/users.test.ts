// userName on real passwd files in a temp dir: each file is read once, and
// answers only for its own path.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userName } from '../../src/system/users.js';
import { tempDir } from '../../../../test-support/tree.js';

describe('userName', () => {
  it('takes the first entry for a uid, as getpwuid does, and no line with an empty uid field as uid 0', () => {
    const path = join(tempDir(), 'passwd');
    writeFileSync(path, 'evil:x::0::/:/bin/sh\nroot:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n');
    expect(userName(0, path)).toBe('root');
  });

  it("answers from the passwd file it is given, not the first one asked of (a mounted root's and the host's)", () => {
    const dir = tempDir();
    const host = join(dir, 'host-passwd');
    const mounted = join(dir, 'mounted-passwd');
    writeFileSync(host, 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    writeFileSync(mounted, 'root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n');
    expect(userName(1000, host)).toBe('alice');
    expect(userName(1000, mounted)).toBe('bob');
    expect(userName(1000, join(dir, 'missing'))).toBe('1000');
    // Each read once: a change after the first look is not seen.
    writeFileSync(host, 'carol:x:1000:1000::/:/bin/sh\n');
    expect(userName(1000, host)).toBe('alice');
  });
});
