// Every exported function of @dsa110/ports and its subpaths, called from
// JavaScript with arguments of the wrong type or impossible values: a
// TypeError or RangeError that names the function and the argument, never
// "x.split is not a function" from inside nor a silent answer.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as cli from '../src/cli-kit/index.js';
import * as files from '../src/files/index.js';
import * as ports from '../src/index.js';
import * as system from '../src/system/index.js';
import * as systemd from '../src/systemd/index.js';

type Untyped = (...args: unknown[]) => unknown;

/** Functions that take anything by design (predicates, the clock, describeArgument itself). */
const TAKES_ANYTHING = new Set(['isPort', 'isClaimTimeout', 'describeArgument', 'now', 'systemdRunning', 'hasIdleCore', 'claimUsage']);

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    return { returned: await call() };
  } catch (error) {
    return error;
  }
}

describe('every exported function refuses an argument of the wrong type, naming itself', () => {
  const entries = { '@dsa110/ports': ports, '@dsa110/ports/system': system, '@dsa110/ports/files': files, '@dsa110/ports/systemd': systemd };
  for (const [entry, module] of Object.entries(entries)) {
    const functions = Object.entries(module).filter(([name, value]) => typeof value === 'function' && /^[a-z]/.test(name) && !TAKES_ANYTHING.has(name));
    it(`${entry} (${functions.length} functions), given a symbol first`, async () => {
      const wrong: string[] = [];
      for (const [name, fn] of functions) {
        const error = await outcome(() => (fn as Untyped)(Symbol('bad')));
        const ok =
          (error instanceof TypeError || error instanceof RangeError) &&
          (error.message.startsWith(`${name}: `) || error.message.startsWith(`${name.replace(/Sync$/, '')}: `)) &&
          /symbol/.test(error.message);
        if (!ok) wrong.push(`${name}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : JSON.stringify(error)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

/**
 * For each exported function, its parameters as its declaration types them: `{}` for each that takes an object
 * (a unit's facts, a claim line, a fault, an options object), and for the rest a value of the declared kind
 * (a path in `dir` for a string, 1, false, an empty array, Map or Set), left out when optional. Only functions
 * with a required object parameter: an options object left `{}` is a valid call (the misspelt-option tests check those).
 */
function objectParameterCalls(entries: Record<string, Record<string, unknown>>, dir: string): { entry: string; name: string; fn: Untyped; args: unknown[] }[] {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const files = Object.keys(entries).map((entry) => join(src, entry === '@dsa110/ports' ? 'index.ts' : `${entry.slice('@dsa110/ports/'.length)}/index.ts`));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    strict: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const sample = (type: ts.Type): { value: unknown; object: boolean } => {
    let one = type;
    if (type.isUnion()) {
      const literal = type.types.find((member) => member.isStringLiteral());
      if (literal?.isStringLiteral()) return { value: literal.value, object: false };
      one = type.types[0] ?? type;
    }
    if (one.flags & ts.TypeFlags.StringLike) return { value: join(dir, 'x'), object: false };
    if (one.flags & ts.TypeFlags.NumberLike) return { value: 1, object: false };
    if (one.flags & ts.TypeFlags.BooleanLike) return { value: false, object: false };
    if (checker.isArrayLikeType(one) || one.getSymbol()?.name === 'Iterable') return { value: [], object: false };
    if (one.getCallSignatures().length > 0) return { value: () => undefined, object: false };
    const name = one.getSymbol()?.name ?? '';
    if (/Map$/.test(name)) return { value: new Map(), object: false };
    if (/Set$/.test(name)) return { value: new Set(), object: false };
    if (name === 'Uint8Array' || name === 'Stats') return { value: undefined, object: false };
    return { value: {}, object: true };
  };
  const calls: { entry: string; name: string; fn: Untyped; args: unknown[] }[] = [];
  for (const [index, [entry, module]] of Object.entries(entries).entries()) {
    const source = program.getSourceFile(files[index] ?? '');
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`${files[index]}: not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const { name } = exported;
      if (typeof module[name] !== 'function' || !/^[a-z]/.test(name) || TAKES_ANYTHING.has(name)) continue;
      const signature = checker.getTypeOfSymbol(exported).getCallSignatures()[0];
      // The argument checkers (envArgument(fn, ...)) name the caller they are given, by design.
      if (!signature || signature.parameters[0]?.name === 'fn') continue;
      let required = false;
      const args = signature.parameters.map((parameter) => {
        const declaration = parameter.valueDeclaration as ts.ParameterDeclaration;
        const optional = declaration.questionToken !== undefined || declaration.initializer !== undefined;
        const { value, object } = sample(checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(parameter, declaration)));
        if (object && !optional) required = true;
        return optional && !object ? undefined : value;
      });
      if (required) calls.push({ entry, name, fn: module[name] as Untyped, args });
    }
  }
  return calls;
}

describe('every exported function given {} for each object it takes: a TypeError naming itself, never a crash inside', () => {
  it('judged by the declared types of its parameters (claimLineRegistry({}, {}) said "cannot read properties of undefined")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ports-arguments-'));
    try {
      const calls = objectParameterCalls(
        { '@dsa110/ports': ports, '@dsa110/ports/system': system, '@dsa110/ports/files': files, '@dsa110/ports/systemd': systemd },
        dir,
      );
      expect(calls.length).toBeGreaterThan(30);
      const wrong: string[] = [];
      for (const { entry, name, fn, args } of calls) {
        const error = await outcome(() => fn(...args));
        if (error !== null && typeof error === 'object' && 'returned' in error) continue;
        const ok = (error instanceof TypeError || error instanceof RangeError) && error.message.startsWith(`${name}: `);
        if (!ok) wrong.push(`${entry} ${name}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : JSON.stringify(error)}`);
      }
      expect(wrong).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the low-level helpers, misused', () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;

  it('a PID that is not a whole positive number is refused, not "no such process" (readProcessInfo("1") used to say undefined)', () => {
    expect(() => untyped(system.readProcessInfo)('1')).toThrow(
      new TypeError('readProcessInfo: pid must be a process id (a number), not the string "1" (convert it with Number first)'),
    );
    for (const pid of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => system.readProcessInfo(pid), String(pid)).toThrow(RangeError);
      expect(() => system.readStartTime(pid), String(pid)).toThrow(/^readStartTime: pid must be an integer 1-2147483647, not /);
      expect(() => system.ancestors(pid), String(pid)).toThrow(RangeError);
      expect(() => system.readProcessUsage(pid), String(pid)).toThrow(RangeError);
      expect(() => system.readCgroup(pid), String(pid)).toThrow(RangeError);
    }
    // One past pid_max is a process that does not exist: an answer, not an error.
    expect(system.readProcessInfo(4194305)).toBeUndefined();
    expect(system.readProcessInfo(process.pid)?.pid).toBe(process.pid);
    expect(() => untyped(system.readProcessInfo)(process.pid, '')).toThrow(/^readProcessInfo: procRoot must be a non-empty string .*not an empty string$/);
  });

  it('the parsers take text only (parseStat(null) used to fail inside on indexOf)', () => {
    expect(() => untyped(system.parseStat)(null)).toThrow(new TypeError('parseStat: text must be the text of /proc/PID/stat, not null'));
    expect(() => untyped(system.parseProcNetTcp)(Buffer.from(''), 'IPv4')).toThrow(/^parseProcNetTcp: text must be .*not a Buffer$/);
    expect(() => untyped(system.parsePortSockets)('', 'IPv5', 'tcp', 80)).toThrow(/^parsePortSockets: family must be "IPv4" or "IPv6", not the string "IPv5"$/);
    expect(() => untyped(system.parseLsof)('', 'sctp')).toThrow(/^parseLsof: transport must be "tcp" or "udp"/);
    expect(() => untyped(ports.portProblem)(8000)).toThrow(/^portProblem: text must be a string/);
    expect(() => untyped(ports.parsePort)(8000)).toThrow(/^parsePort: text must be a string .*check it with isPort.*not number 8000$/);
    expect(ports.parsePort('٨٠')).toBeUndefined(); // Arabic-Indic digits are not decimal digits here
    expect(() => untyped(ports.isOtherDigits)(80)).toThrow(/^isOtherDigits: text must be a string .*not number 80$/);
    expect([ports.isOtherDigits('٨٠'), ports.isOtherDigits('１２'), ports.isOtherDigits(''), ports.isOtherDigits('8a')]).toEqual([true, true, false, false]);
  });

  it('addresses: decodeIPv4(0) and a hex string of the wrong length are refused, not decoded as NaN.NaN.NaN.NaN', () => {
    expect(() => untyped(system.decodeIPv4)(0)).toThrow(new TypeError('decodeIPv4: hex must be 8 hex digits as /proc/net prints an address, not number 0'));
    expect(() => system.decodeIPv4('0100007')).toThrow(TypeError);
    expect(() => system.decodeIPv6('zz'.repeat(16))).toThrow(/^decodeIPv6: hex must be 32 hex digits/);
    expect(system.decodeIPv4('0100007F')).toMatch(/^(127\.0\.0\.1|1\.0\.0\.127)$/);
    expect(() => system.compressIPv6([1, 2, 3])).toThrow(/^compressIPv6: groups must be an array of 8 numbers, not 3 of them$/);
    expect(() => system.compressIPv6([0, 0, 0, 0, 0, 0, 0, 65536])).toThrow(RangeError);
    expect(() => system.formatEndpoint('::1', 70000)).toThrow(/^formatEndpoint: port must be an integer 0-65535, not 70000$/);
    expect(system.formatEndpoint('::1', 8000)).toBe('[::1]:8000');
  });

  it('findFreePort with start past end is a RangeError (it used to answer undefined, "all taken")', async () => {
    await expect(system.findFreePort({ start: 9010, end: 9000 })).rejects.toThrow(new RangeError('findFreePort: range.start (9010) is past range.end (9000)'));
  });

  it('a procRoot with no socket table says so, naming it (it used to be a bare ENOENT)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-root-'));
    try {
      await expect(system.readListenSockets({ procRoot: dir })).rejects.toThrow(/^readListenSockets: cannot read .*give where \/proc is mounted$/);
      expect(() => system.readListenSocketsSync({ procRoot: dir })).toThrow(
        `readListenSocketsSync: cannot read ${dir}/net/tcp: options.procRoot "${dir}" holds no net/tcp: give where /proc is mounted`,
      );
      expect(() => system.readListenSocketsSync({ procRoot: dir })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      // The sync one names itself in its argument errors too (they used to name readListenSockets).
      expect(() => (system.readListenSocketsSync as (options: unknown) => unknown)({ procRoot: 5 })).toThrow(
        /^readListenSocketsSync: options.procRoot must be a non-empty string .*not number 5$/,
      );
      expect(() => (system.readListenSocketsSync as (options: unknown) => unknown)('x')).toThrow(/^readListenSocketsSync: options must be an object/);
      expect(system.hasProcNet(dir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('files: hostPath(undefined), readTextFile without maxBytes, a mode that is not a mode', () => {
    expect(() => untyped(files.hostPath)(undefined, '/etc')).toThrow(new TypeError('hostPath: root must be a path (a non-empty string), not undefined'));
    expect(() => untyped(files.resolveInRoot)('/', 5)).toThrow(/^resolveInRoot: path must be a path \(a string\), not number 5$/);
    expect(() => untyped(files.readTextFile)('/etc/hostname')).toThrow(/^readTextFile: options must be an object \(\{ maxBytes \}\), not undefined$/);
    expect(() => files.readTextFile('/etc/hostname', { maxBytes: Number.NaN })).toThrow(/^readTextFile: options.maxBytes must be an integer/);
    expect(() => files.readTextFile('/etc/hostname', { maxBytes: -1 })).toThrow(RangeError);
    expect(() => untyped(files.readTextFile)(Buffer.from('/etc/hostname'), { maxBytes: 10 })).toThrow(/^readTextFile: path must be .*not a Buffer$/);
    expect(() => files.replaceFileAtomically(join(tmpdir(), 'never-written'), 'x', 0o10000)).toThrow(
      new TypeError(
        'replaceFileAtomically: mode must be a file mode, an integer 0-0o777 (permission bits only: no setuid, setgid or sticky bit), such as 0o644, not 0o10000',
      ),
    );
    expect(() => untyped(files.writeOutputFile)(join(tmpdir(), 'never-written'), 5)).toThrow(/^writeOutputFile: text must be a string, not number 5$/);
    expect(() => untyped(files.writeGeneratedFiles)('/nonexistent', [{ path: 'a', text: 'x' }], { maxBytes: 10 })).toThrow(
      /^writeGeneratedFiles: files\[0\] must be \{ path, contents \}/,
    );
    expect(() => files.formatBytes(1.5)).toThrow(RangeError);
  });

  it('escapers and registry helpers: no crash inside, no "undefined" text', () => {
    expect(() => untyped(ports.escapeText)(undefined)).toThrow(new TypeError('escapeText: value must be a string, not undefined'));
    expect(() => ports.escapeText('x', 0)).toThrow(/^escapeText: max must be an integer 1-/);
    expect(() => untyped(ports.processNameText)(['sshd'])).toThrow(new TypeError('processNameText: name must be a string, not an array'));
    expect(() => ports.processNameText('sshd', 0)).toThrow(/^processNameText: max must be an integer 1-/);
    expect(() => untyped(ports.truncate)('abc', '2')).toThrow(/^truncate: max must be a number of characters, not the string "2"/);
    expect(() => untyped(ports.formatRange)(0)).toThrow(/^formatRange: range must be an object \(\{ start, end \}\), not number 0$/);
    expect(() => untyped(ports.formatRange)({ start: '1', end: 2 })).toThrow(/^formatRange: range.start must be a port number/);
    expect(ports.formatRange({ start: 9000, end: 9009 })).toBe('9000-9009');
    expect(() => ports.formatRange({ start: 9, end: 1 })).toThrow(new RangeError('formatRange: range.start must be at most range.end, not 9 > 1'));
    expect(ports.formatRange({ start: 8010, end: 8010 })).toBe('8010');
    expect(() => untyped(ports.effectiveProtectedProcesses)('sshd')).toThrow(
      /^effectiveProtectedProcesses: added must be an array of strings, not the string "sshd"$/,
    );
    expect(() => untyped(ports.formatIssue)('ports.yaml', null)).toThrow(/^formatIssue: issue must be a RegistryIssue/);
  });

  it('userName takes a uid number, not anything printable (userName(undefined) used to be "undefined")', () => {
    expect(() => untyped(system.userName)(undefined)).toThrow(/^userName: uid must be a user id \(a number\), not undefined$/);
    expect(() => system.userName(-1)).toThrow(RangeError);
    expect(system.userName(0)).toBe('root');
  });
});

/**
 * The keys of the file readers' options, as their types have them: the compiler fails this file when
 * ReadOptions or TreeOptions gains or loses one, and the test below when the readers' list (in
 * arguments.ts, which may not import the types) does not say the same.
 */
const FILE_READER_OPTIONS: Readonly<Record<keyof files.ReadOptions | keyof files.TreeOptions, true>> = { maxBytes: true };
const FILE_READER_KEYS = Object.keys(FILE_READER_OPTIONS);

describe('a misspelt option is a TypeError naming it, the option it is near and every option the function takes (it was ignored)', () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;

  it("'@dsa110/ports/system': snapshot({ prts: [8000] }) read every listener; a scan's misspelt pids scanned every process", async () => {
    const snapshotTakes = 'it takes { ports?, procRoot?, sockets?, transport?, parallel?, threads?, holderScan?, socketLinks? }';
    await expect(untyped(system.snapshot)({ prts: [8000] })).rejects.toThrow(
      new TypeError(`snapshot: unknown option "prts" (did you mean "ports"?); ${snapshotTakes}`),
    );
    expect(() => untyped(system.snapshotSync)({ procroot: '/proc' })).toThrow(
      new TypeError(`snapshotSync: unknown option "procroot" (did you mean "procRoot"?); ${snapshotTakes}`),
    );
    expect(() => untyped(system.readListenSocketsSync)({ port: [8000] })).toThrow(
      new TypeError('readListenSocketsSync: unknown option "port" (did you mean "ports"?); it takes { ports?, procRoot? }'),
    );
    await expect(untyped(system.readListenSockets)({ transport: 'udp' })).rejects.toThrow(
      /^readListenSockets: unknown option "transport"; it takes \{ ports\?, procRoot\? \}$/,
    );
    expect(() => untyped(system.scanSocketHolders)([1], { pid: [process.pid] })).toThrow(
      new TypeError('scanSocketHolders: unknown option "pid" (did you mean "pids"?); it takes { procRoot?, skip?, pids?, threads?, socketLinks? }'),
    );
    expect(() => untyped(system.scanSocketHolders)([1], 'x')).toThrow(/^scanSocketHolders: options must be an object .*not the string "x"$/);
    const parallelTakes = 'it takes { procRoot?, skip?, pids?, threads?, socketLinks?, minProcesses?, requireIdleCore?, perl? }';
    await expect(untyped(system.scanSocketHoldersParallel)([1], { perll: false })).rejects.toThrow(
      new TypeError(`scanSocketHoldersParallel: unknown option "perll" (did you mean "perl"?); ${parallelTakes}`),
    );
    expect(() => untyped(system.startSocketHoldersParallel)({ thread: 'every' })).toThrow(
      new TypeError(`startSocketHoldersParallel: unknown option "thread" (did you mean "threads"?); ${parallelTakes}`),
    );
    // Every key of the types is still taken (a snapshot's own keys are not passed on to the table reader as unknown).
    const port = (await system.snapshot({ ports: [1], procRoot: '/proc', transport: 'tcp', threads: 'every', parallel: false })).listeners;
    expect(port).toEqual([]);
    expect(system.snapshotSync({ ports: [1], procRoot: '/proc', parallel: false }).listeners).toEqual([]);
    expect(system.scanSocketHolders([1], { procRoot: '/proc', skip: new Set(), pids: [process.pid], threads: 'every' }).holders.size).toBe(0);
  });

  it('\'@dsa110/ports/files\': a misspelt maxBytes or mode is named (it was "maxBytes must be a number of bytes, not undefined", or ignored)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'options-'));
    try {
      for (const [name, call] of [
        ['readTextFile', () => untyped(files.readTextFile)('/etc/hostname', { maxbytes: 10 })],
        ['readFileBytes', () => untyped(files.readFileBytes)('/etc/hostname', { maxbytes: 10 })],
        ['checkFileReadable', () => untyped(files.checkFileReadable)('/etc/hostname', { maxbytes: 10 })],
        ['readFileIfPresent', () => untyped(files.readFileIfPresent)('/etc/hostname', { maxbytes: 10 })],
      ] as const) {
        expect(call, name).toThrow(new TypeError(`${name}: unknown option "maxbytes" (did you mean "maxBytes"?); it takes { ${FILE_READER_KEYS.join(', ')} }`));
      }
      // The tree's own option, readByOthers, beside maxBytes.
      expect(() => untyped(files.inspectGeneratedFiles)(dir, [], { maxbytes: 10 })).toThrow(
        new TypeError('inspectGeneratedFiles: unknown option "maxbytes" (did you mean "maxBytes"?); it takes { maxBytes, readByOthers?, root? }'),
      );
      // An extra key beside a right one: mode is writeGeneratedFiles' alone.
      expect(() => untyped(files.readTextFile)('/etc/hostname', { maxBytes: 10, mode: 0o600 })).toThrow(
        new TypeError('readTextFile: unknown option "mode"; it takes { maxBytes }'),
      );
      const file = [{ path: 'a.conf', contents: 'x\n' }];
      expect(() => untyped(files.writeGeneratedFiles)(dir, file, { maxBytes: 10, mod: 0o600 })).toThrow(
        new TypeError('writeGeneratedFiles: unknown option "mod" (did you mean "mode"?); it takes { maxBytes, mode?, readByOthers?, root? }'),
      );
      expect(readdirSync(dir)).toEqual([]); // refused before anything was written
      expect(files.writeGeneratedFiles(dir, file, { maxBytes: 10, mode: 0o600 })).toEqual([{ path: join(dir, 'a.conf'), wrote: true }]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('optionsArgument given the keys in place of the shape: the shape is made from them, and a near key is suggested', () => {
    const keys = ['dryRun', 'force'];
    expect(() => ports.optionsArgument('claimPort', { dryrun: true }, keys)).toThrow(
      new TypeError('claimPort: unknown option "dryrun" (did you mean "dryRun"?); it takes { dryRun?, force? }'),
    );
    expect(() => ports.optionsArgument('claimPort', 'x' as never, keys)).toThrow(
      new TypeError('claimPort: options must be an object ({ dryRun?, force? }) or left out, not the string "x"'),
    );
    expect({ ...ports.optionsArgument('claimPort', { force: true }, keys) }).toEqual({ force: true });
    // Its own arguments, each entry of a list at fault named ("not an array" said of an array contradicted itself).
    expect(() => ports.optionsArgument('claimPort', {}, [5] as never)).toThrow(
      new TypeError('optionsArgument: shape[0] must be an option name (a string), not number 5'),
    );
    expect(() => ports.optionsArgument('claimPort', {}, 5 as never)).toThrow(
      new TypeError('optionsArgument: shape must be a string or an array of option names, not number 5'),
    );
    expect(() => ports.optionsArgument('claimPort', {}, '{ a? }', ['a', 1] as never)).toThrow(
      new TypeError('optionsArgument: keys[1] must be an option name (a string), not number 1'),
    );
    expect(() => ports.optionsArgument(5 as never, {}, ['a'])).toThrow(
      /^optionsArgument: fn must be a string \(the name of the function whose argument it checks\), not number 5$/,
    );
  });
});

describe('registryArgument and envArgument: the one test of a registry option and of an env', () => {
  it('registryArgument takes a path, a Registry, or nothing; anything else is a TypeError naming options.registry', async () => {
    const registry = await ports.loadRegistry();
    expect(ports.registryArgument('claimPort', registry)).toBe(registry);
    expect(ports.registryArgument('claimPort', '/etc/ports.yaml')).toBe('/etc/ports.yaml');
    expect(ports.registryArgument('claimPort', undefined)).toBeUndefined();
    // A Registry of another copy of the package (its ESM and CJS builds are two classes) is known by what it has:
    // a second instance of the module (the query makes it one) has a Registry class of its own.
    const other = (await import(`../src/registry.js?${'second-copy'}`)) as typeof import('../src/registry.js');
    const { bundledRegistry } = await import('../src/generated/registry.js');
    const foreign = new other.Registry(bundledRegistry, 'ports.yaml (another copy)');
    expect(foreign).not.toBeInstanceOf(ports.Registry);
    expect(ports.registryArgument('claimPort', foreign)).toBe(foreign);
    for (const [value, what] of [
      [{ path: 'x' }, 'an object'],
      [{}, 'an object'],
      [[], 'an array'],
      ['', 'the string ""'],
      [null, 'null'],
      [{ services: [], reserved: [], service() {}, resolvePort() {} }, 'an object'],
    ] as const) {
      expect(() => ports.registryArgument('checkPorts', value), what).toThrow(
        new TypeError(`checkPorts: options.registry must be a ports.yaml path or a Registry (from loadRegistry or parseRegistry) or left out, not ${what}`),
      );
    }
  });

  it('envArgument refuses a variable that is not a string, whichever it is, naming it (escaped when no shell would take it as a name)', () => {
    expect(() => ports.envArgument('loadRegistry', { CONTIMG_API_PORT: 8001 } as never)).toThrow(
      new TypeError('loadRegistry: options.env.CONTIMG_API_PORT must be a string (environment variables are text) or undefined, not number 8001'),
    );
    expect(() => ports.envArgument('loadRegistry', { 'A B\n\u001b[31m': 1 } as never)).toThrow(
      new TypeError('loadRegistry: options.env["A B\\n\\u001b[31m"] must be a string (environment variables are text) or undefined, not number 1'),
    );
    const env = { A: 'x', B: undefined };
    expect(ports.envArgument('loadRegistry', env)).toBe(env);
    expect(ports.envArgument('loadRegistry', undefined)).toBe(process.env);
  });
});

describe('a revoked Proxy, given for any object or list, is named as one (it read "not an object", or failed inside on IsArray)', () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };

  it('as env: resolvePort and loadRegistry say it is a revoked Proxy', async () => {
    const registry = await ports.loadRegistry();
    const env = 'options.env must be an object of environment variables (like process.env) or left out, not a revoked Proxy';
    expect(() => registry.resolvePort('api', { env: revoked() })).toThrow(new TypeError(`resolvePort: ${env}`));
    await expect(ports.loadRegistry({ env: revoked() })).rejects.toThrow(new TypeError(`loadRegistry: ${env}`));
  });

  it('as an object or a list: the TypeError of the function, naming the argument', () => {
    expect(() => untyped(ports.formatRange)(revoked())).toThrow(new TypeError('formatRange: range must be an object ({ start, end }), not a revoked Proxy'));
    expect(() => untyped(ports.effectiveProtectedProcesses)(revoked())).toThrow(
      new TypeError('effectiveProtectedProcesses: added must be an array of strings, not a revoked Proxy'),
    );
    expect(() => untyped(files.readTextFile)('/etc/hostname', revoked())).toThrow(
      new TypeError('readTextFile: options must be an object ({ maxBytes }), not a revoked Proxy'),
    );
    expect(() => untyped(systemd.mergeUnit)(revoked())).toThrow(
      new TypeError('mergeUnit: loaded must be an object (a LoadedUnit, from loadUnit), not a revoked Proxy'),
    );
    expect(() => untyped(systemd.environmentDoubt)({ environment: new Map() }, revoked())).toThrow(
      /^environmentDoubt: names must be an array \(or other iterable\) of variable names, not a revoked Proxy$/,
    );
  });
});

/** An ExecLine as mergeUnit makes one, running `argv`. */
function execLine(argv: string[]) {
  return { file: '/etc/systemd/system/api.service', line: 2, value: argv.join(' '), prefixes: '', path: argv[0] ?? '', words: argv, argv };
}

describe("'@dsa110/ports/systemd': a wrong entry of a list, or field of an object, is named (it failed inside)", () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;

  it('claimLines and where: each line checked where it is read (claimLines([{}]) read "Cannot read properties of undefined (reading \'0\')")', () => {
    expect(() => untyped(systemd.claimLines)([{}], [])).toThrow(new TypeError('claimLines: lines[0].argv must be an array of strings, not undefined'));
    const line = execLine(['/usr/local/bin/claim-port', 'api']);
    expect(() => untyped(systemd.claimLines)([line, null], [])).toThrow(new TypeError('claimLines: lines[1] must be an ExecLine ({ argv, ... }), not null'));
    expect(() => untyped(systemd.claimLines)([{ ...line, argv: 'claim-port api' }], [])).toThrow(
      new TypeError('claimLines: lines[0].argv must be an array of strings, not the string "claim-port api"'),
    );
    expect(() => untyped(systemd.claimLines)([{ ...line, argv: [5] }], [])).toThrow(
      new TypeError('claimLines: lines[0].argv[0] must be a string, not number 5'),
    );
    expect(() => untyped(systemd.claimLines)([{ ...line, prefixes: undefined }], [])).toThrow(
      new TypeError('claimLines: lines[0].prefixes must be a string, not undefined'),
    );
    expect(systemd.claimLines([line, execLine([])], [])).toEqual([line]);
    expect(() => untyped(systemd.claimLookupPath)(null)).toThrow(new TypeError('claimLookupPath: line must be an ExecLine ({ argv, ... }), not null'));
    expect(() => untyped(systemd.claimLookupPath)({ ...line, argv: undefined })).toThrow(
      new TypeError('claimLookupPath: line.argv must be an array of strings, not undefined'),
    );
    expect(systemd.claimLookupPath(line)).toBeUndefined();
    expect(() => untyped(systemd.where)({ file: Symbol('x'), line: 1 })).toThrow(new TypeError('where: line.file must be a path (a string), not symbol'));
    expect(() => untyped(systemd.where)({ file: '/x.service' })).toThrow(new TypeError('where: line.line must be a line number, not undefined'));
  });

  it("environmentDoubt and environmentFileFindings: the unit's environment and files checked ({} read \"reading 'get'\")", () => {
    expect(() => untyped(systemd.environmentDoubt)({}, ['PORT'])).toThrow(
      new TypeError('environmentDoubt: unit.environment must be a Map of variable name to setting, from mergeUnit, not undefined'),
    );
    expect(() => untyped(systemd.environmentDoubt)({ environment: new Map(), environmentFiles: [5] }, ['PORT'])).toThrow(
      new TypeError('environmentDoubt: unit.environmentFiles[0] must be an EnvironmentFileFacts ({ path, optional, file, line, ... }), not number 5'),
    );
    expect(() => untyped(systemd.environmentDoubt)({ environment: new Map() }, [5])).toThrow(
      new TypeError('environmentDoubt: names must hold variable names (strings), not number 5'),
    );
    const file = { path: '/etc/default/api', optional: false, file: '/etc/systemd/system/api.service', line: 3 };
    expect(() => untyped(systemd.environmentFileFindings)({ unit: 'api.service', environmentFiles: [{ ...file, line: '3' }] })).toThrow(
      new TypeError('environmentFileFindings: unit.environmentFiles[0].line must be a line number, not the string "3"'),
    );
    expect(() => untyped(systemd.environmentFileFindings)({ unit: 'api.service', environmentFiles: [{ ...file, ignored: [{ key: 1 }] }] }, 'PORT')).toThrow(
      new TypeError('environmentFileFindings: unit.environmentFiles[0].ignored[0] must be { key, line }, not an object'),
    );
    expect(() => untyped(systemd.environmentFileFindings)({ unit: 'api.service', environmentFiles: Symbol('x') })).toThrow(
      /^environmentFileFindings: unit\.environmentFiles must be an array of EnvironmentFileFacts, from mergeUnit, or left out, not symbol$/,
    );
    expect(systemd.environmentDoubt({ environment: new Map(), environmentFiles: [{ ...file, unread: 'permission denied' }] }, ['PORT'])).toMatch(
      /^\/etc\/default\/api .*may set PORT, and cannot be read: permission denied$/,
    );
  });

  it('listUnitDirs and loadUnit: a wrong dirs entry, problems or listing named ("given.replace is not a function", "listing.values is not a function")', () => {
    const root = mkdtempSync(join(tmpdir(), 'unit-dirs-'));
    try {
      expect(() => untyped(systemd.listUnitDirs)(root, [], ['/etc/systemd/system', 5])).toThrow(
        new TypeError('listUnitDirs: dirs[1] must be a string, not number 5'),
      );
      expect(() => untyped(systemd.listUnitDirs)(root, [], '/etc/systemd/system')).toThrow(
        new TypeError('listUnitDirs: dirs must be an array of strings, not the string "/etc/systemd/system"'),
      );
      expect(() => untyped(systemd.listUnitDirs)(root, 5)).toThrow(
        new TypeError('listUnitDirs: problems must be an array (the lines of what could not be listed go there) or left out, not number 5'),
      );
      const shape = 'a UnitDirListing (a Map of directory to a Set of entry names), from listUnitDirs, or left out';
      expect(() => untyped(systemd.loadUnit)(root, 'api.service', {})).toThrow(new TypeError(`loadUnit: listing must be ${shape}, not an object`));
      expect(() => untyped(systemd.loadUnit)(root, 'api.service', new Map([['/etc/systemd/system', ['api.service']]]))).toThrow(
        new TypeError(`loadUnit: listing must be ${shape}; its entry /etc/systemd/system is an array`),
      );
      const listing = systemd.listUnitDirs(root);
      expect(systemd.loadUnit(root, 'api.service', listing).file).toBeUndefined();
      expect(systemd.loadUnit(root, 'api.service', new Map([['etc/systemd/system', new Set<string>()]])).file).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("'@dsa110/ports/systemd': the facts the verdicts print, checked (they failed inside, often naming escapeText)", () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };

  it('initSocketAdvice, isSystemdInit: a socket or holder of the wrong shape is named', () => {
    expect(() => untyped(systemd.initSocketAdvice)(8000, 'tcp', [{}])).toThrow(
      new TypeError('initSocketAdvice: sockets[0].unit must be a unit name (a string), not undefined'),
    );
    expect(() => untyped(systemd.initSocketAdvice)(8000, 'tcp', [null])).toThrow(
      new TypeError('initSocketAdvice: sockets[0] must be a ListeningSocket ({ unit, listen, ... }), from socketUnitsOn, not null'),
    );
    expect(() =>
      untyped(systemd.initSocketAdvice)(8000, 'tcp', [{ unit: 'a.socket', listen: { key: 'ListenStream', value: '8000', file: '/a.socket' } }]),
    ).toThrow(new TypeError('initSocketAdvice: sockets[0].listen.line must be a line number, not undefined'));
    expect(() => untyped(systemd.initSocketAdvice)(8000, 'tcp', [], 5)).toThrow(
      new TypeError('initSocketAdvice: service must be a unit name (a string) or left out, not number 5'),
    );
    expect(() => untyped(systemd.initSocketAdvice)(8000, 'tcp', revoked())).toThrow(/^initSocketAdvice: sockets must be .*not a revoked Proxy$/);
    const socket = {
      unit: 'a.socket',
      masked: false,
      accept: false,
      listens: [],
      listen: { key: 'ListenStream', value: '8000', transport: 'tcp', file: '/a.socket', line: 2 },
    };
    expect(systemd.initSocketAdvice(8000, 'tcp', [socket as never])).toMatch(/^systemd \(PID 1\) holds port 8000 for socket unit a\.socket /);
    expect(() => untyped(systemd.isSystemdInit)({ pid: 1, exe: Symbol('x') })).toThrow(
      new TypeError('isSystemdInit: holder.exe must be a path (a string) or left out, not symbol'),
    );
    expect(() => untyped(systemd.isSystemdInit)(revoked())).toThrow(/^isSystemdInit: holder must be an object .*not a revoked Proxy$/);
    expect(systemd.isSystemdInit({ pid: 1, exe: '/usr/lib/systemd/systemd' })).toBe(true);
  });

  it('readSocketUnits, rootWritablePart, startTimeoutFinding: each entry of a list named ("reading \'slice\'", "reading \'kind\'")', () => {
    const root = mkdtempSync(join(tmpdir(), 'socket-units-'));
    try {
      const listing = systemd.listUnitDirs(root);
      expect(() => untyped(systemd.readSocketUnits)(root, listing, [{}])).toThrow(
        new TypeError('readSocketUnits: units[0].unit must be a unit name (a string), not undefined'),
      );
      expect(() => untyped(systemd.readSocketUnits)(root, listing, [{ unit: 'a.service', sockets: [{ value: 'a.socket' }] }])).toThrow(
        new TypeError('readSocketUnits: units[0].sockets[0] must be { value, file, line }, not an object'),
      );
      expect(systemd.readSocketUnits(root, listing, [{ unit: 'a.service' } as never])).toBeInstanceOf(Map);
      expect(() => untyped(systemd.rootWritablePart)(root, '/usr/bin/x', [null])).toThrow(
        new TypeError('rootWritablePart: lookups[0] must be an InterpreterLookup ({ kind, ... }), from readInterpreter, not null'),
      );
      expect(() => untyped(systemd.rootWritablePart)(root, '/usr/bin/x', [{ kind: 'found', interpreter: '/usr/bin/node' }])).toThrow(
        new TypeError('rootWritablePart: lookups[0].path must be a path (a string), not undefined'),
      );
      expect(() => untyped(systemd.rootWritablePart)(root, '/usr/bin/x', [{ kind: 5 }])).toThrow(
        new TypeError('rootWritablePart: lookups[0].kind must be a string ("found", "missing", ...), not number 5'),
      );
      expect(() => untyped(systemd.startTimeoutFinding)({ unit: 'a.service' }, [{}], 5)).toThrow(
        new TypeError('startTimeoutFinding: claims[0].argv must be an array of strings, not undefined'),
      );
      expect(() => untyped(systemd.startTimeoutFinding)(revoked(), [], 5)).toThrow(/^startTimeoutFinding: unit must be an object .*not a revoked Proxy$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("the verdicts' words: a part, root setting or search of the wrong shape is named, not escapeText nor quoteValue", () => {
    expect(() => untyped(systemd.brokenUnitFileProblem)({ path: Symbol('x'), reason: 'a loop' }, '/')).toThrow(
      new TypeError('brokenUnitFileProblem: part.path must be a path (a string), not symbol'),
    );
    expect(() => untyped(systemd.skippedDropInProblem)({ path: '/x.conf', reason: 'a loop', hides: 5 }, 'a.service', '/')).toThrow(
      new TypeError('skippedDropInProblem: part.hides must be a path (a string) or left out, not number 5'),
    );
    const wiring = { claim: 'drop-in', unitDir: '/etc/systemd/system' };
    expect(() =>
      untyped(systemd.claimDropInFix)({ file: '/x.conf' }, { unit: 'a.service', aliases: 'b.service' }, { claim: 'c', regenerate: 'r', wiring }),
    ).toThrow(/^claimDropInFix: unit\.aliases must be an array of strings/);
    expect(() =>
      untyped(systemd.claimDropInFix)({ file: '/x.conf' }, { unit: 'a.service' }, { claim: 'c', regenerate: 'r', wiring: { ...wiring, claim: 'both' } }),
    ).toThrow(new TypeError("claimDropInFix: wiring.claim must be 'unit' or 'drop-in', not the string \"both\""));
    expect(() => untyped(systemd.unreadMayHoldClaim)({ unread: 'all of it' })).toThrow(
      new TypeError('unreadMayHoldClaim: unit.unread must be an array of { kind, path, name?, reason }, or left out, not the string "all of it"'),
    );
    expect(() => untyped(systemd.unreadMayHoldClaim)({ unread: [], execStartPreCleared: 5 })).toThrow(
      new TypeError('unreadMayHoldClaim: unit.execStartPreCleared must be { file, line } or left out, not number 5'),
    );
    expect(() => untyped(systemd.unreadMaySetExecStart)({ unread: [], execStartCleared: 5 })).toThrow(
      new TypeError('unreadMaySetExecStart: unit.execStartCleared must be { file, line } or left out, not number 5'),
    );
    expect(() => untyped(systemd.claimRoot)({ rootDirectory: { value: '/srv/x', file: '/a.service' } })).toThrow(
      new TypeError('claimRoot: unit.rootDirectory.line must be a line number, not undefined'),
    );
    expect(() => untyped(systemd.claimExecKey)('x', { rootImage: {} })).toThrow(
      new TypeError('claimExecKey: unit.rootImage.value must be the setting as written (a string), not undefined'),
    );
    expect(systemd.claimRoot({ rootDirectory: { value: '/srv/x', file: '/a.service', line: 3, path: '/srv/x' } })).toMatchObject({ directory: '/srv/x' });
    expect(() => untyped(systemd.unresolvedExecSearch)({ dirs: [], unresolved: { entry: '%H' } })).toThrow(
      new TypeError('unresolvedExecSearch: search.unresolved.specifier must be a string, not undefined'),
    );
    expect(() => untyped(systemd.unresolvedExecSearch)({ dirs: 5, unresolved: { entry: '%H', specifier: '%H', file: '/a', line: 1 } })).toThrow(
      new TypeError('unresolvedExecSearch: search.dirs must be an array of strings, not number 5'),
    );
  });
});

describe("'@dsa110/ports/systemd': what a verdict passes on is checked in its own name, not in the name of the function it calls", () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;
  const unit = () => ({
    unit: 'api.service',
    file: '/etc/systemd/system/api.service',
    dropIns: [],
    masked: false,
    execStartPre: [execLine(['/usr/local/bin/claim-port', 'api'])],
    environment: new Map(),
    problems: [],
  });
  const expected = () => ({ serviceId: 'api', port: 8000, transport: 'tcp', claimPortPaths: [], resolveId: () => ({ port: 8000, transport: 'tcp' }) });

  it('judgeClaims checks its expectation and the unit\'s fields ("expected.resolveId is not a function", "unit.environment is not iterable")', () => {
    const { resolveId: _, ...noResolve } = expected();
    expect(() => untyped(systemd.judgeClaims)(unit(), noResolve)).toThrow(
      new TypeError('judgeClaims: expected.resolveId must be a function (id, env, line) resolving a service id to its port, not undefined'),
    );
    expect(() => untyped(systemd.judgeClaims)(unit(), { ...expected(), claimPortPaths: undefined })).toThrow(
      new TypeError('judgeClaims: expected.claimPortPaths must be an array of strings, not undefined'),
    );
    expect(() => untyped(systemd.judgeClaims)({ ...unit(), environment: {} }, expected())).toThrow(
      new TypeError('judgeClaims: unit.environment must be a Map of variable name to setting, from mergeUnit, not an object'),
    );
    expect(() => untyped(systemd.judgeClaims)({ ...unit(), execStartPre: [{}] }, expected())).toThrow(
      new TypeError('judgeClaims: unit.execStartPre[0].argv must be an array of strings, not undefined'),
    );
    expect((untyped(systemd.judgeClaims)(unit(), expected()) as { severity: string }[]).map((finding: { severity: string }) => finding.severity)).toEqual([
      'warning',
    ]);
  });

  it('claimVariables, socketConflicts, claimRegistryUnresolved, claimLineRegistry, claimRootProcFinding: named, not claimLines, where or claimRoot', () => {
    const registry = { has: () => false, service: () => undefined };
    expect(() => untyped(systemd.claimVariables)(registry, {}, unit(), new Set())).toThrow(
      new TypeError('claimVariables: claimPortPaths must be an array of strings, not a Set'),
    );
    expect(() => untyped(systemd.claimVariables)(registry, {}, { execStartPre: [null] }, [])).toThrow(
      new TypeError('claimVariables: unit.execStartPre[0] must be an ExecLine ({ argv, ... }), not null'),
    );
    expect(() => untyped(systemd.socketConflicts)(unit(), [{ unit: 'api.socket' }], { port: 8000, transport: 'tcp' })).toThrow(
      new TypeError('socketConflicts: sockets[0].listens must be an array of SocketListen, not undefined'),
    );
    const line = execLine(['/usr/local/bin/claim-port', 'api']);
    expect(() => untyped(systemd.claimRegistryUnresolved)({ ...line, file: 5 }, unit())).toThrow(
      new TypeError('claimRegistryUnresolved: line.file must be a path (a string), not number 5'),
    );
    const chrooted = { ...unit(), rootDirectory: { value: '/srv/x', file: '/a.service' } };
    const withRegistry = execLine(['/usr/local/bin/claim-port', '--registry=/etc/ports.yaml', 'api']);
    expect(() => untyped(systemd.claimLineRegistry)(withRegistry, chrooted)).toThrow(
      new TypeError('claimLineRegistry: unit.rootDirectory.line must be a line number, not undefined'),
    );
    expect(() => untyped(systemd.claimRootProcFinding)({}, { ...line, line: Symbol('x') }, false)).toThrow(
      new TypeError('claimRootProcFinding: line.line must be a line number, not symbol'),
    );
  });
});

describe("'@dsa110/ports/system' and the escapers: a wrong entry or field named, not failed on inside", () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;
  const revoked = () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  };

  it('processNames and matchProcessName check the names they split ("name.split is not a function")', () => {
    expect(() => untyped(system.processNames)({ comm: Symbol('x') })).toThrow(
      new TypeError('processNames: process.comm must be a process name (a string) or left out, not symbol'),
    );
    expect(() => untyped(system.matchProcessName)({ comm: 'sshd', exe: 5 }, ['sshd'])).toThrow(
      new TypeError('matchProcessName: process.exe must be a path (a string) or left out, not number 5'),
    );
    expect(() => untyped(system.processNames)({ comm: 'node', argv: ['node', 7] })).toThrow(
      new TypeError('processNames: process.argv[1] must be a string, not number 7'),
    );
    expect(system.matchProcessName({ comm: 'sshd', argv: ['sshd: alice@pts/0'] }, ['sshd'])).toEqual({ name: 'sshd', glob: 'sshd' });
  });

  it('scanSocketHolders takes inodes that are numbers ("Cannot convert a Symbol value to a string"; "123" was looked for as text)', async () => {
    const wrong = 'each of inodes must be a socket inode (a number), not';
    expect(() => untyped(system.scanSocketHolders)([Symbol('x')])).toThrow(new TypeError(`scanSocketHolders: ${wrong} symbol`));
    expect(() => untyped(system.scanSocketHolders)(['123'])).toThrow(
      new TypeError(`scanSocketHolders: ${wrong} the string "123" (convert it with Number first)`),
    );
    expect(() => system.scanSocketHolders([-1])).toThrow(new RangeError('scanSocketHolders: each of inodes must be an integer 0-9007199254740991, not -1'));
    await expect(untyped(system.scanSocketHoldersParallel)([{}])).rejects.toThrow(new TypeError(`scanSocketHoldersParallel: ${wrong} an object`));
    const started = system.startSocketHoldersParallel({ pids: [process.pid] });
    await expect(untyped(started.finish)([1.5])).rejects.toThrow(
      new RangeError('startSocketHoldersParallel(...).finish: each of inodes must be an integer 0-9007199254740991, not 1.5'),
    );
    expect(system.scanSocketHolders([1], { pids: [process.pid] }).holders.size).toBe(0);
  });

  it('assemble, isDualStack, compressIPv6: an entry that is no socket, or a revoked Proxy, named ("reading \'inode\'")', () => {
    const none = () => undefined;
    expect(() => untyped(system.assemble)([null], new Map(), none, false)).toThrow(new TypeError('assemble: sockets[0] must be a ListenSocket, not null'));
    expect(() => untyped(system.assemble)([Symbol('x')], new Map(), none, false)).toThrow(
      new TypeError('assemble: sockets[0] must be a ListenSocket, not symbol'),
    );
    const v6 = { address: '::', family: 'IPv6', port: 8000, inode: 1, uid: 0 };
    expect(() => untyped(system.isDualStack)(v6, [v6, null], false)).toThrow(new TypeError('isDualStack: all[1] must be a ListenSocket, not null'));
    expect(() => untyped(system.isDualStack)(revoked(), [], false)).toThrow(
      new TypeError('isDualStack: socket must be an object (a ListenSocket), not a revoked Proxy'),
    );
    expect(() => untyped(system.compressIPv6)(revoked())).toThrow(new TypeError('compressIPv6: groups must be an array of 8 numbers, not a revoked Proxy'));
    expect(system.assemble([v6 as never], new Map(), none, false)[0]?.dualStack).toBe(true);
  });

  it("pathText checks its max itself (it was refused in escapeText's name); urlScheme and the systemd checks name a revoked Proxy", () => {
    expect(() => untyped(ports.pathText)('/etc/ports.yaml', Symbol('x'))).toThrow(new TypeError('pathText: max must be a number of characters, not symbol'));
    expect(() => untyped(ports.urlScheme)(revoked())).toThrow(
      new TypeError('urlScheme: service must be a registry service (its protocol is read), not a revoked Proxy'),
    );
    expect(() => untyped(systemd.claimVariables)(revoked(), {}, { execStartPre: [] }, [])).toThrow(
      new TypeError('claimVariables: registry must be an object (a Registry), not a revoked Proxy'),
    );
    expect(() => untyped(systemd.chooseDropIns)(revoked())).toThrow(/^chooseDropIns: found must be an array of \{ dir, names \}, not a revoked Proxy$/);
    expect(() => untyped(systemd.listUnitDirs)('/', revoked())).toThrow(/^listUnitDirs: problems must be an array .*not a revoked Proxy$/);
    expect(() => untyped(systemd.readSocketUnits)('/', new Map(), revoked())).toThrow(/^readSocketUnits: units must be an array .*not a revoked Proxy$/);
  });
});

describe("'@dsa110/ports/cli': an env that is no environment named (a revoked Proxy read \"Cannot perform 'get' on a proxy that has been revoked\")", () => {
  const untyped = <T>(fn: T) => fn as unknown as Untyped;

  it('processIo, useColor, undecodedVariables, processEnvironment and recoverEnvironment check env, and names', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const env = (fn: string) => new TypeError(`${fn}: env must be an object of environment variables (like process.env), not a revoked Proxy`);
    expect(() => untyped(cli.processIo)(proxy)).toThrow(env('processIo'));
    expect(() => untyped(cli.useColor)(true, proxy)).toThrow(env('useColor'));
    expect(() => untyped(cli.undecodedVariables)(proxy)).toThrow(env('undecodedVariables'));
    expect(() => untyped(cli.processEnvironment)(['HOME'], proxy)).toThrow(env('processEnvironment'));
    expect(() => untyped(cli.recoverEnvironment)(proxy, ['HOME'], undefined)).toThrow(env('recoverEnvironment'));
    expect(() => untyped(cli.useColor)(true, 'NO_COLOR=1')).toThrow(
      new TypeError('useColor: env must be an object of environment variables (like process.env), not the string "NO_COLOR=1"'),
    );
    expect(() => untyped(cli.processEnvironment)([Symbol('x')])).toThrow(new TypeError('processEnvironment: names[0] must be a string, not symbol'));
    expect(() => untyped(cli.recoverEnvironment)({}, ['A'], 'A=1')).toThrow(
      new TypeError('recoverEnvironment: environ must be the bytes of /proc/self/environ (a Buffer) or undefined, not the string "A=1"'),
    );
    // process.env, a plain object and a live Proxy of one are taken as before.
    expect(cli.useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(cli.useColor(true, new Proxy({ TERM: 'xterm' }, {}))).toBe(true);
    expect(cli.undecodedVariables(process.env)).toEqual(expect.any(Array));
    expect(cli.processEnvironment(['HOME']).env).toBe(process.env);
  });
});

describe("Registry.prototype's methods called on what is not a Registry: a TypeError naming the method", () => {
  it('says it must be called on a Registry ("this.service is not a function", "Cannot read private member #byId" before)', async () => {
    const registry = await ports.loadRegistry();
    const prototype = ports.Registry.prototype as unknown as Record<
      'has' | 'service' | 'lookup' | 'resolvePort',
      (this: unknown, ...args: unknown[]) => unknown
    >;
    const called = (method: string, what: string) =>
      new TypeError(
        `${method}: must be called on a Registry (from loadRegistry or parseRegistry), not ${what}; call registry.${method}, which works taken off the registry too`,
      );
    expect(() => prototype.service.call({}, 'api')).toThrow(called('service', 'an object'));
    expect(() => prototype.resolvePort.call({ service: () => registry.service('api') }, 'api')).toThrow(called('resolvePort', 'an object'));
    expect(() => prototype.lookup.call(null, 8000)).toThrow(called('lookup', 'null'));
    expect(() => prototype.has.call(5, 'api')).toThrow(called('has', 'number 5'));
    const { resolvePort } = prototype;
    expect(() => resolvePort('api')).toThrow(called('resolvePort', 'alone (this is undefined)'));
    const ids = Object.getOwnPropertyDescriptor(ports.Registry.prototype, 'ids')?.get;
    expect(() => ids?.call(Object.create(registry))).toThrow(called('ids', 'an object with a prototype of its own'));
    // A registry of another copy of the package is one, but not of this class: said so, not "not a Registry".
    const other = (await import(`../src/registry.js?${'prototype-methods'}`)) as typeof import('../src/registry.js');
    const { bundledRegistry } = await import('../src/generated/registry.js');
    const foreign = new other.Registry(bundledRegistry, 'ports.yaml (another copy)');
    expect(() => prototype.service.call(foreign, 'api')).toThrow(called('service', 'a Registry of another copy of @dsa110/ports'));
    // A registry's own methods, bound to it, still work detached; and the prototype's, called on it.
    const { service, lookup } = registry;
    expect(service('api').id).toBe('api');
    expect(lookup(registry.service('api').port)?.id).toBe('api');
    expect((prototype.service.call(registry, 'api') as { id: string }).id).toBe('api');
    expect(registry.ids.length).toBeGreaterThan(0);
  });
});

describe('optionsArgument: a plain object, read by its own properties', () => {
  const SHAPE = '{ path?, env? }';
  const KEYS = ['path', 'env'];

  it('shows a string argument escaped as every printed string is (JSON.stringify left U+202E and U+2028 raw)', () => {
    expect(ports.describeArgument('api\u202etxt\u2028x')).toBe('the string "api\\u202etxt\\u2028x"');
    expect(ports.describeArgument('say "hi"\n')).toBe('the string "say \\"hi\\"\\n"');
  });

  it('describes -0 as -0 (String(-0) is "0": lookup(-0) refused "number 0")', async () => {
    expect(ports.describeArgument(-0)).toBe('number -0');
    expect(ports.describeArgument(0)).toBe('number 0');
    const registry = await ports.loadRegistry();
    expect(() => registry.lookup(-0)).toThrow(/number -0/);
  });

  it('says what a non-plain object is (describeArgument names its class), never "not an object"', () => {
    expect(
      [new Map(), new URL('file:///x'), new Date(0), new Set(), Promise.resolve(), new Error('x'), new (class Options {})()].map(ports.describeArgument),
    ).toEqual(['a Map', 'a URL', 'a Date', 'a Set', 'a Promise', 'an Error', 'an Options']);
    expect(ports.describeArgument(Object.create({ path: '/x' }))).toBe('an object with a prototype of its own');
    expect(ports.describeArgument({})).toBe('an object');
    expect(ports.describeArgument(Object.create(null))).toBe('an object');
    // A revoked Proxy or a hostile class name: still one plain line, never a throw; a revoked Proxy said as one.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(ports.describeArgument(proxy)).toBe('a revoked Proxy');
    const Hostile = class {};
    Object.defineProperty(Hostile, 'name', { value: 'X\n\u001b[31m' });
    expect(ports.describeArgument(new Hostile())).toBe('an object with a prototype of its own');
  });

  it('refuses a Map, a URL, a class instance (they were taken as {})', () => {
    for (const [value, what] of [
      [new Map([['path', '/x']]), 'a Map'],
      [new URL('file:///x'), 'a URL'],
      [new (class Options {})(), 'an Options'],
      [Object.create(new Map()), 'an object with a prototype of its own'],
    ] as const) {
      expect(() => ports.optionsArgument('loadRegistry', value as object, SHAPE, KEYS)).toThrow(
        new TypeError(`loadRegistry: options must be an object (${SHAPE}) or left out, not ${what}`),
      );
    }
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(() => ports.optionsArgument('snapshot', proxy, SHAPE)).toThrow(
      new TypeError(`snapshot: options must be an object (${SHAPE}) or left out, not a revoked Proxy`),
    );
  });

  it('takes a frozen object, one without a prototype, and a Proxy of a plain object; returns its own enumerable properties, with no prototype', () => {
    const frozen = Object.freeze({ path: '/a' });
    const bare = Object.assign(Object.create(null) as { path?: string }, { path: '/b' });
    const proxied = new Proxy({ path: '/c' }, {});
    for (const [value, path] of [
      [frozen, '/a'],
      [bare, '/b'],
      [proxied, '/c'],
    ] as const) {
      const copy = ports.optionsArgument('loadRegistry', value as { path?: string }, SHAPE, KEYS);
      expect(Object.getPrototypeOf(copy)).toBe(null);
      expect({ ...copy }).toEqual({ path });
    }
    const left = ports.optionsArgument<{ path?: string }>('loadRegistry', undefined, SHAPE, KEYS);
    expect(Object.getPrototypeOf(left)).toBe(null);
    expect(Object.keys(left)).toEqual([]);
  });

  it('reads each known option with one property get: non-enumerable, inherited from defaults (Object.create), or a Proxy with only a get trap (Object.keys dropped them)', () => {
    const nonEnumerable = Object.defineProperty({ env: {} }, 'path', { value: '/a' });
    const inherited = Object.create(Object.create({ path: '/b' })) as { path?: string };
    const getOnly = new Proxy({}, { get: (_target, key) => (key === 'path' ? '/c' : undefined) });
    for (const [value, path] of [
      [nonEnumerable, '/a'],
      [inherited, '/b'],
      [getOnly, '/c'],
    ] as const) {
      const copy = ports.optionsArgument('loadRegistry', value as { path?: string }, SHAPE, KEYS);
      expect(Object.getPrototypeOf(copy)).toBe(null);
      expect(copy.path).toBe(path);
    }
    // Each getter once (a getter may answer otherwise the second time), and an unknown key among the defaults said.
    const reads: string[] = [];
    const counted = new Proxy(
      {},
      {
        get: (_target, key) => {
          reads.push(String(key));
          return key === 'path' ? '/d' : undefined;
        },
      },
    );
    expect(ports.optionsArgument<{ path?: string }>('loadRegistry', counted, SHAPE, KEYS).path).toBe('/d');
    expect(reads.sort()).toEqual(['env', 'path']);
    expect(() => ports.optionsArgument('loadRegistry', Object.create({ pth: '/x' }) as object, SHAPE, KEYS)).toThrow(
      /^loadRegistry: unknown option "pth" \(did you mean "path"\?\); it takes \{ path\?, env\? \}$/,
    );
    // Without keys (a shape alone), the own enumerable properties, as before.
    expect({ ...ports.optionsArgument('findFreePort', { start: 1, end: 2 }, '{ start, end }') }).toEqual({ start: 1, end: 2 });
  });

  it("a getter or Proxy trap that throws is a TypeError naming the option, its error the cause (it was the getter's own error)", () => {
    const boom = new Error('boom');
    const cases: [object, string][] = [
      [
        {
          get path(): string {
            throw boom;
          },
        },
        'options.path',
      ],
      [
        new Proxy(
          {},
          {
            get() {
              throw boom;
            },
          },
        ),
        'options.path',
      ],
      [
        new Proxy(
          {},
          {
            ownKeys() {
              throw boom;
            },
          },
        ),
        'options',
      ],
      [
        {
          get env(): unknown {
            throw '\u001b[31m';
          },
        },
        'options.env',
      ],
    ];
    for (const [value, name] of cases) {
      let caught: unknown;
      try {
        ports.optionsArgument('loadRegistry', value, SHAPE, KEYS);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TypeError);
      expect((caught as Error).message).toMatch(
        new RegExp(
          `^loadRegistry: ${name.replace('.', '\\.')} cannot be read \\(reading it threw (Error "boom"|the string "\\\\e\\[31m")\\); give options whose properties read as values$`,
        ),
      );
    }
    expect(() =>
      files.readTextFile(
        '/etc/hostname',
        new Proxy(
          {},
          {
            get() {
              throw boom;
            },
          },
        ) as { maxBytes: number },
      ),
    ).toThrow(new TypeError('readTextFile: options.maxBytes cannot be read (reading it threw Error "boom"); give options whose properties read as values'));
  });

  it("shows a getter's thrown message escaped: no raw U+202E, U+2028 or terminal escape reaches the message", () => {
    const evil = {
      get path(): string {
        throw new Error('evil\u202Etxt.exe\u2028next\x1b[31mred');
      },
    };
    expect(() => ports.optionsArgument('f', evil, ['path'])).toThrow(
      new TypeError(
        'f: options.path cannot be read (reading it threw Error "evil\\u202etxt.exe\\u2028next\\e[31mred"); give options whose properties read as values',
      ),
    );
  });

  it('never reads an option through a polluted Object.prototype (Object.prototype.path chose the file loadRegistry() read)', () => {
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.path = '/tmp/evil.yaml';
      expect(ports.optionsArgument<{ path?: string }>('loadRegistry', undefined, SHAPE, KEYS).path).toBeUndefined();
      expect(ports.optionsArgument<{ path?: string }>('loadRegistry', {}, SHAPE, KEYS).path).toBeUndefined();
      expect(ports.optionsArgument<{ path?: string }>('loadRegistry', { path: '/mine' }, SHAPE, KEYS).path).toBe('/mine');
      // Nor through defaults of their own, nor a Proxy's get that answers what Object.prototype holds.
      expect(ports.optionsArgument<{ path?: string }>('loadRegistry', Object.create({ env: {} }) as object, SHAPE, KEYS).path).toBeUndefined();
      const forwarding = new Proxy({}, { get: (target, key) => Reflect.get(target, key) });
      expect(ports.optionsArgument<{ path?: string }>('loadRegistry', forwarding, SHAPE, KEYS).path).toBeUndefined();
    } finally {
      delete polluted.path;
    }
  });

  it("the file readers' maxBytes: their own property only", () => {
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.maxBytes = 10;
      expect(() => files.readTextFile('/etc/hostname', {} as { maxBytes: number })).toThrow(
        /^readTextFile: options.maxBytes must be a number of bytes, not undefined$/,
      );
    } finally {
      delete polluted.maxBytes;
    }
  });
});
