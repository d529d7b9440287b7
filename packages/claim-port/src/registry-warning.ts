// A registry claim-port cannot use, said in one line: with a numeric port a
// warning (it claims with the built-in protected list), the same line whether
// the port was free (early.ts: the file checked, not parsed) or in use
// (target.ts), but for what a file over 1 MiB still protects (only read for a
// port in use); with a service id, the usage error (target.ts). A registry can
// have hundreds of problems: the line names the first, with its
// file:line:col, and counts the others, never all of them in one line.
import { formatIssue, oneLine, printedShellWord, quoteValue, type RegistryError } from '@dsa110/ports';

/** The first problem (`file:line:col: path: message`) and how many more: `... (and 499 more problems)`. */
export function registryProblems(error: RegistryError): string {
  const first = error.issues[0];
  const others = error.issues.length - 1;
  const more = others > 0 ? ` (and ${others} more problem${others === 1 ? '' : 's'})` : '';
  // Each issue is one line already; oneLine() holds that for any RegistryError.
  return `${oneLine(first ? formatIssue(error.source, first) : error.message.split('\n')[0]!)}${more}`;
}

/**
 * What to do about a registry that was read but does not validate: `; fix the
 * registry (ports validate FILE lists every problem)`. Empty for a file that
 * could not be read (missing, a FIFO, too large...): that problem says what to
 * do itself (`check the path`, `fix or unset DSA110_PORTS_FILE`).
 */
export function registryFix(error: RegistryError): string {
  if (!error.issues.some((issue) => issue.line > 0)) return '';
  return `; fix the registry (ports validate ${printedShellWord(error.source)} lists every problem)`;
}

export function registryWarning(error: RegistryError): string {
  return `warning: ${registryProblems(error)}; using the built-in protected list${salvagedWords(error)}`;
}

/** ` and its claim.protect (processes "py*", "celery"; pidsUpTo 5000)`: what the broken file still protects, added to the built-in list. */
function salvagedWords(error: RegistryError): string {
  const salvaged = error.protect;
  if (salvaged === undefined) return '';
  const parts = [
    ...(salvaged.processes.length > 0
      ? [
          `processes ${salvaged.processes
            .slice(0, 8)
            .map((pattern) => quoteValue(pattern))
            .join(', ')}${salvaged.processes.length > 8 ? ` and ${salvaged.processes.length - 8} more` : ''}`,
        ]
      : []),
    ...(salvaged.pidsUpTo !== undefined ? [`pidsUpTo ${salvaged.pidsUpTo}`] : []),
  ];
  return parts.length === 0 ? '' : ` and what the file still protects (claim.protect: ${parts.join('; ')})`;
}
