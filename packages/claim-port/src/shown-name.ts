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
  return shownField(holder.comm, 64);
}

/** A text as a field among others in parentheses prints it: escaped, quoted as shownName quotes a name. */
function shownField(text: string, max: number): string {
  return /[(),"]|^\s|\s$/.test(text) ? quoteValue(text, max) : escapeText(text, max);
}

/**
 * `api.service`, `app.service (of user@1000.service)`: a unit as systemctl would need it, where it stands among a
 * holder's fields (`PID 901 (python3, unit api.service)`). Quoted as a name is: a unit's name is a cgroup's, which
 * whoever may write that part of cgroupfs chose (parseCgroupPath takes only names systemd could have given).
 */
export function describeUnit(context: { readonly unit?: string; readonly userManager?: string }): string | undefined {
  if (context.unit === undefined) return undefined;
  const unit = shownField(context.unit, 200);
  return context.userManager ? `${unit} (of ${shownField(context.userManager, 200)})` : unit;
}
