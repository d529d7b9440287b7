// How claim-port prints a process's name (its comm, which any process sets to
// what it likes with prctl(PR_SET_NAME)): in every line it stands in
// parentheses among other fields, `PID 1550 (python3, user root, parent 1)`.
import { escapeText, quoteValue } from '@dsa110/ports';

/**
 * A name as every line prints it: escaped; quoted when it holds what could
 * close its field or fake another (`(`, `)`, `,`, `"`: a comm `x) (sshd, user`
 * shows as `"x) (sshd, user"`, not as fields of its own) or begins or ends with
 * white space; `comm ""` when a process blanked it (never a bare comma).
 */
export function shownName(holder: { readonly comm: string }): string {
  if (holder.comm === '') return 'comm ""';
  return /[(),"]|^\s|\s$/.test(holder.comm) ? quoteValue(holder.comm, 64) : escapeText(holder.comm, 64);
}
