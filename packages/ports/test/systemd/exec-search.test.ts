// ExecSearchPath= as systemd 252 stores it (config_parse_colon_separated_paths:
// extract_first_word(":", EXTRACT_DONT_COALESCE_SEPARATORS), unit_path_printf,
// path_simplify_and_warn(PATH_CHECK_ABSOLUTE), the first refusal ending the
// line), and the directories a bare command is looked up in.
import { describe, expect, it } from 'vitest';
import { describeExecSearch, execSearch, parseExecSearchPathLine, SYSTEMD_EXEC_SEARCH_PATH, unresolvedExecSearch } from '../../src/systemd/index.js';

const unit = { name: 'api@blue.service' };

describe('parseExecSearchPathLine', () => {
  it('keeps entries until the first one systemd refuses, and ignores the rest of the line with it', () => {
    expect(parseExecSearchPathLine('/a//b/:/c/./d', unit)).toEqual({ dirs: ['/a/b', '/c/d'] });
    expect(parseExecSearchPathLine('rel1:rel2:/opt/../x:/ok', unit)).toEqual({ dirs: [], ignored: { entry: 'rel1', reason: 'path is not absolute' } });
    expect(parseExecSearchPathLine('/a::/b', unit)).toEqual({ dirs: ['/a'], ignored: { entry: '', reason: 'path is not absolute' } });
    expect(parseExecSearchPathLine('/a:', unit)).toEqual({ dirs: ['/a'], ignored: { entry: '', reason: 'path is not absolute' } });
    expect(parseExecSearchPathLine('/a: /b', unit)).toEqual({ dirs: ['/a'], ignored: { entry: ' /b', reason: 'path is not absolute' } });
    expect(parseExecSearchPathLine('/a/../b:/c', unit)).toEqual({ dirs: [], ignored: { entry: '/a/../b', reason: 'path is not normalized' } });
    expect(parseExecSearchPathLine(`/${'x'.repeat(256)}:/c`, unit).ignored?.reason).toBe('path has invalid length');
    expect(parseExecSearchPathLine('/a:/%Z:/c', unit)).toEqual({ dirs: ['/a'], ignored: { entry: '/%Z', reason: 'unknown specifier %Z' } });
  });

  it('takes a backslash as "the next character as it is", and refuses a value that ends in one', () => {
    expect(parseExecSearchPathLine('/a\\:b:/c', unit)).toEqual({ dirs: ['/a:b', '/c'] });
    expect(parseExecSearchPathLine('/a:/b\\', unit)).toEqual({ dirs: ['/a'], ignored: { entry: '/b\\', reason: 'a backslash ends the value' } });
  });

  it('resolves specifiers as PID 1 does: the unit’s name, the system manager’s fixed values, host ones only when given', () => {
    expect(parseExecSearchPathLine('%h/bin:/srv/%i:%t/x:%%', unit)).toEqual({
      dirs: ['/root/bin', '/srv/blue', '/run/x'],
      ignored: { entry: '%%', reason: 'path is not absolute' },
    });
    expect(parseExecSearchPathLine('/a:/srv/%H/bin:/c', unit)).toEqual({ dirs: ['/a'], unresolved: { entry: '/srv/%H/bin', specifier: '%H' } });
    expect(parseExecSearchPathLine('/a:/srv/%H/bin:/c', { ...unit, host: { H: 'db1' } })).toEqual({ dirs: ['/a', '/srv/db1/bin', '/c'] });
  });
});

describe('execSearch and its words', () => {
  it('is the built-in path when systemd kept no directory, and says what it ignored', () => {
    const search = execSearch({
      execSearchPath: { value: '', file: '/u', line: 5, dirs: [], lines: [], ignored: [{ file: '/u', line: 5, entry: 'rel', reason: 'path is not absolute' }] },
    });
    expect(search.dirs).toEqual(SYSTEMD_EXEC_SEARCH_PATH.split(':'));
    expect(describeExecSearch(search)).toBe(`${SYSTEMD_EXEC_SEARCH_PATH.split(':').join(', ')}; systemd ignores /u:5 from "rel" on (path is not absolute)`);
  });

  it('names every line that added a directory, and the entry past which nothing is known', () => {
    const search = execSearch({
      execSearchPath: {
        value: '/a:/b',
        file: '/u',
        line: 6,
        dirs: ['/a', '/b'],
        lines: [
          { file: '/u', line: 5 },
          { file: '/u.d/x.conf', line: 2 },
        ],
        unresolved: { file: '/u.d/x.conf', line: 2, entry: '%H', specifier: '%H' },
      },
    });
    expect(describeExecSearch(search)).toBe('ExecSearchPath=/a:/b, set in /u:5, /u.d/x.conf:2');
    expect(unresolvedExecSearch(search)).toBe(
      'ExecSearchPath=/a:/b (set in /u:5, /u.d/x.conf:2), and /u.d/x.conf:2 goes on with "%H", whose %H this check cannot resolve as systemd does',
    );
  });
});
