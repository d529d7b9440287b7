// uid -> user name from a passwd file (/etc/passwd), read once per path. No
// NSS (LDAP users show as their uid), which is what a root tool on a service
// host needs.
import { readSystemFileBytes } from '../files/read.js';
import { MAX_PROC_FILE_BYTES } from '../limits.js';
import { nonEmptyStringArgument, stringArgument, uidArgument } from '../arguments.js';

/** Each passwd file read, by its path: one process may ask of several (a mounted root's and its own). */
const byPath = new Map<string, Map<number, string>>();

/** A uid as passwd(5) writes it: decimal digits, 0-4294967294 (`1e3`, `0x10`, `+5` and an empty field are no uid). */
const UID = /^[0-9]{1,10}$/;
const MAX_UID = 4294967294;

/**
 * Pure: parse passwd(5) text into uid -> name. The first entry for a uid wins,
 * as getpwuid reads the file top down; a line whose uid field is not plain
 * decimal digits (empty, `1e3`, `0x10`, ` 7`) is skipped, never read as uid 0.
 */
export function parsePasswd(text: string): Map<number, string> {
  stringArgument('parsePasswd', 'text', text, 'the text of /etc/passwd');
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#') || !UID.test(fields[2]!)) continue;
    const uid = Number(fields[2]);
    if (uid <= MAX_UID && !map.has(uid)) map.set(uid, fields[0]!);
  }
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
