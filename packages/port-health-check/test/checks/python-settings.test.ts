// A Python config file read for a few names without running it: only a plain top-level `name = literal` is told,
// the last one winning; each expectation is what `gunicorn -c FILE --print-config` (gunicorn 26) showed, or a way of
// setting the name that this reading does not follow (then unknown, never a guess).
import { describe, expect, it } from 'vitest';
import { pythonSettings } from '../../src/checks/python-settings.js';

const read = (text: string, name = 'bind') => pythonSettings(text, [name]).get(name);

describe('pythonSettings', () => {
  it('takes a top-level name = literal: a string, a list or tuple of strings, True/False/None, a whole number; the last one', () => {
    expect(read('bind = "0.0.0.0:8000"\n')).toEqual({ kind: 'set', value: '0.0.0.0:8000', line: 1 });
    expect(read("# a comment\nbind = ('127.0.0.1:8000',  # loopback\n        '[::1]:8000')\n")).toEqual({
      kind: 'set',
      value: ['127.0.0.1:8000', '[::1]:8000'],
      line: 2,
    });
    // ("x") is the string; a line continued by a backslash is one statement.
    expect(read('bind = ("127.0.0.1:8000")\n')).toEqual({ kind: 'set', value: '127.0.0.1:8000', line: 1 });
    expect(read('bind = \\\n  "a:1"\nbind = "b:2"\n')).toEqual({ kind: 'set', value: 'b:2', line: 3 });
    expect(read('reuse_port = True\r\nworkers = 4\r\n', 'reuse_port')).toEqual({ kind: 'set', value: true, line: 1 });
    expect(read('workers = 4\n', 'workers')).toEqual({ kind: 'set', value: 4, line: 1 });
  });

  it('reads a name as Python does, NFKC-normalized: a fullwidth name is the ASCII one', () => {
    // python3: exec('\uff42\uff49\uff4e\uff44 = "b:2"') sets bind.
    expect(read('bind = "a:1"\n\uff42\uff49\uff4e\uff44 = "b:2"\n')).toEqual({ kind: 'set', value: 'b:2', line: 2 });
  });

  it('sees no assignment in a comment, a string (one over many lines too), or another name', () => {
    expect(read('# bind = "x"\ntext = "bind = 1 # not a comment"\ndoc = """\nbind = "y"\n"""\nBIND = "z"\nbinds = "w"\n')).toEqual({ kind: 'unset' });
  });

  it('is unknown where the file may set the name otherwise: in a block, by code, another statement, or a means that sets any name', () => {
    for (const text of [
      'if True:\n    bind = "a:1"\n',
      'bind = "a:1" if x else "b:2"\n',
      'bind = "a:1"; bind = "b:2"\n',
      'bind: str = "a:1"\n',
      'bind += ["b:2"]\n',
      'a, bind = 1, "b:2"\n',
      'from conf import bind\n',
      'bind = "a:1"\ndel bind\n',
      'bind = f"0.0.0.0:{port}"\n',
      'bind = "a:\\x31"\n',
      'exec(open("more.py").read())\n',
      'from more import *\n',
      'import sys\nsetattr(sys.modules[__name__], "bind", "a:1")\n',
      'bind = "a:1\n',
      'bind = ["a:1"\n',
      // Python reads identifiers NFKC-normalized: fullwidth ｂｉｎｄ is bind, set here by something no plain assignment is.
      'bind = "127.0.0.1:8000"\n\uff42\uff49\uff4e\uff44 = f"0.0.0.0:{8001}"\n',
      // An f-string's braces hold code, which may set any name.
      'bind = "127.0.0.1:8000"\nbanner = f"{(bind := \'0.0.0.0:8001\')}"\n',
      'bind = "127.0.0.1:8000"\nbanner = rf"{globals()}"\n',
    ])
      expect(read(text)?.kind, text).toBe('unknown');
  });
});
