// The one line claim-port prints for a registry it cannot use with a numeric
// port (it claims with the built-in protected list): the same line whether the
// port was free (early.ts: the file checked, not parsed) or in use (target.ts).
import type { RegistryError } from '@dsa110/ports';

export function registryWarning(error: RegistryError): string {
  const others = error.issues.length - 1;
  const more = others > 0 ? ` (and ${others} more problem${others === 1 ? '' : 's'})` : '';
  return `warning: ${error.message.split('\n')[0]}${more}; using the built-in protected list`;
}
