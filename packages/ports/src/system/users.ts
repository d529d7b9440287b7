// uid -> user name from /etc/passwd, read once. No NSS (LDAP users show as
// their uid), which is what a root tool on a service host needs.
import { readSystemFileBytes } from '../files/read.js';
import { MAX_PROC_FILE_BYTES } from '../limits.js';
import { nonEmptyStringArgument, stringArgument, uidArgument } from '../arguments.js';

let byUid: Map<number, string> | undefined;

/** Pure: parse passwd(5) text into uid -> name (the first entry wins, as getpwuid does). */
export function parsePasswd(text: string): Map<number, string> {
  stringArgument('parsePasswd', 'text', text, 'the text of /etc/passwd');
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    if (Number.isInteger(uid) && !map.has(uid)) map.set(uid, fields[0]!);
  }
  return map;
}

export function userName(uid: number, passwdPath = '/etc/passwd'): string {
  uidArgument('userName', uid);
  nonEmptyStringArgument('userName', 'passwdPath', passwdPath, 'a path (default /etc/passwd)');
  if (!byUid) {
    try {
      byUid = parsePasswd(readSystemFileBytes(passwdPath, MAX_PROC_FILE_BYTES).toString('utf8'));
    } catch {
      byUid = new Map();
    }
  }
  return byUid.get(uid) ?? String(uid);
}
