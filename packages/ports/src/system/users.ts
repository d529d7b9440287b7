// uid -> user name from a passwd file (/etc/passwd), read once per path. No
// NSS (LDAP users show as their uid), which is what a root tool on a service
// host needs.
import { readSystemFileBytes } from '../files/read.js';
import { MAX_PROC_FILE_BYTES } from '../limits.js';
import { nonEmptyStringArgument, stringArgument, uidArgument } from '../arguments.js';

/** Each passwd file read, by its path: one process may ask of several (a mounted root's and its own). */
const byPath = new Map<string, Map<number, string>>();

/**
 * A uid or gid field as glibc's passwd parser (fgetpwent, nss_files' getpwuid) reads it, checked against glibc 2.36:
 * strtoul's leading white space and sign, then decimal digits only (`1e3`, `0x10`, `7 ` and an empty field are no id,
 * never id 0); ` 7`, `+7` and `0000000007` are 7, `-0` is 0, any other negative or a value over 2^32-1 no id.
 */
const PASSWD_ID = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;
const MAX_PASSWD_ID = 4294967295;

function passwdId(field: string): number | undefined {
  const match = PASSWD_ID.exec(field);
  if (match === null) return undefined;
  const value = Number(match[2]);
  return value > MAX_PASSWD_ID || (match[1] === '-' && value !== 0) ? undefined : value;
}

/** One account of a passwd file, as getpwuid and getpwnam would return it. */
export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  /** The home directory field as written: may be empty or relative. */
  readonly home: string;
}

/**
 * Pure: the accounts of passwd(5) text in file order, each line read as glibc reads it: a line ends at a NUL, leading
 * white space is skipped, an empty or `#` line is none; a line needs a name, a password field, and a uid and a gid
 * (passwdId); the home and shell may be missing. A `+`/`-` (NIS compat) name is skipped, as getpwuid skips it. Unlike
 * glibc (2.36's getpwuid(4294967295) and getpwnam return such a line), a uid 4294967295 line is skipped too: that is
 * (uid_t)-1, which the kernel never gives a process (setuid(-1) means "unchanged"), so it owns no process any caller
 * asks about (a process's owner, a user manager's home, a User= service's), and no uid argument here takes it
 * (uidArgument). The one reader of the lines for every question asked of a passwd file here, so the name of a uid and
 * its home cannot come from two different lines.
 */
export function passwdEntries(text: string): PasswdEntry[] {
  stringArgument('passwdEntries', 'text', text, 'the text of /etc/passwd');
  const entries: PasswdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.split('\0', 1)[0]!.replace(/^[ \t\v\f\r]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const [name, , uidField, gidField, , home = ''] = line.split(':');
    if (gidField === undefined || name!.startsWith('+') || name!.startsWith('-')) continue;
    const uid = passwdId(uidField!);
    if (uid === undefined || uid === MAX_PASSWD_ID || passwdId(gidField) === undefined) continue;
    entries.push({ name: name!, uid, home });
  }
  return entries;
}

/**
 * Pure: parse passwd(5) text into uid -> name. The first entry for a uid wins, as getpwuid reads the file top down;
 * a line glibc would not read (passwdEntries: `1e3`, `0x10` or an empty uid field, no gid) is skipped, never read as uid 0.
 */
export function parsePasswd(text: string): Map<number, string> {
  stringArgument('parsePasswd', 'text', text, 'the text of /etc/passwd');
  const map = new Map<number, string>();
  for (const { uid, name } of passwdEntries(text)) if (!map.has(uid)) map.set(uid, name);
  return map;
}

/** The name of `uid` in the passwd file at `passwdPath` (read once per path), or the uid as text when it has none. */
export function userName(uid: number, passwdPath = '/etc/passwd'): string {
  uidArgument('userName', uid);
  nonEmptyStringArgument('userName', 'passwdPath', passwdPath, 'a path (default /etc/passwd)');
  let names = byPath.get(passwdPath);
  if (names === undefined) {
    try {
      names = parsePasswd(readSystemFileBytes(passwdPath, MAX_PROC_FILE_BYTES).toString('utf8'));
    } catch {
      names = new Map();
    }
    byPath.set(passwdPath, names);
  }
  return names.get(uid) ?? String(uid);
}
