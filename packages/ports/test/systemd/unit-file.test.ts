import { describe, expect, it } from 'vitest';
import { parseUnitFile } from '../../src/systemd/unit-file.js';

describe('parseUnitFile', () => {
  it('reads sections, trims around =, skips comments and keeps line numbers', () => {
    const text = '[Unit]\nDescription = API\n# ExecStartPre=/bin/false\n; also a comment\n\n[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\n';
    expect(parseUnitFile(text)).toEqual([
      { section: 'Unit', key: 'Description', value: 'API', line: 2 },
      { section: 'Service', key: 'ExecStartPre', value: '+/usr/local/bin/claim-port 8000', line: 7 },
    ]);
  });

  it('joins backslash continuations (comment lines inside are dropped) and reports the first line', () => {
    const text = '[Service]\nExecStartPre=+/usr/local/bin/claim-port \\\n# a comment in between\n  8000\nUser=api\n';
    expect(parseUnitFile(text)).toEqual([
      { section: 'Service', key: 'ExecStartPre', value: '+/usr/local/bin/claim-port    8000', line: 2 },
      { section: 'Service', key: 'User', value: 'api', line: 5 },
    ]);
  });

  it('keeps an empty value (the reset of a list setting) and ignores lines without =', () => {
    expect(parseUnitFile('[Service]\nExecStartPre=\nnonsense\n')).toEqual([{ section: 'Service', key: 'ExecStartPre', value: '', line: 2 }]);
  });
});
