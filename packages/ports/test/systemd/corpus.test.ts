// The health check's reading of unit files against systemd's own: each corpus
// case is loaded (or refused) by `systemd-analyze verify` exactly when the
// model says so, and the model's ExecStartPre= argv is the one in the corpus.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../test-support/index.js';
import { mergeUnit } from '../../src/systemd/effective.js';
import { CORPUS } from './fixtures/systemd-corpus.js';

const analyze = hasCommand('systemd-analyze');

function model(text: string) {
  return mergeUnit({ unit: 'corpus.service', file: { path: '/etc/systemd/system/corpus.service', text }, dropIns: [], problems: [] });
}

describe('the unit-file model', () => {
  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const facts = model(c.text);
    expect((facts.invalid ?? []).length === 0, (facts.invalid ?? []).join('\n')).toBe(c.loads);
    if (c.argv) expect(facts.execStartPre.map((line) => line.argv)).toEqual(c.argv);
  });
});

describe.skipIf(!analyze)(
  `systemd-analyze verify agrees (${analyze ? 'systemd-analyze installed' : 'skipped: systemd-analyze is not installed; scripts/install-system-packages.sh installs systemd'})`,
  () => {
    it.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_, c) => {
      const dir = mkdtempSync(join(tmpdir(), 'dsa110-corpus-'));
      writeFileSync(join(dir, 'corpus.service'), c.text);
      const result = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'corpus.service')], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_UNIT_PATH: `${dir}:`, SYSTEMD_LOG_LEVEL: 'notice' },
        encoding: 'utf8',
      });
      const loads = result.status === 0 && !/failed to load|fatal error/.test(result.stderr);
      expect(loads, result.stderr).toBe(c.loads);
    });
  },
);
