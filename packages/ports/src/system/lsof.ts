// Systems without /proc (macOS dev laptops): LISTEN sockets from
// `lsof -nP -iTCP:PORT -sTCP:LISTEN`. lsof is only the fallback: on Linux the
// /proc readers are faster and need no other program.
import { nonEmptyStringArgument, portArgument, stringArgument, transportArgument } from '../arguments.js';
import { escapedByte, joinKeptBytes } from '../utf8.js';

export interface LsofListener {
  readonly command: string;
  readonly pid: number;
  readonly user: string;
  readonly family: 'IPv4' | 'IPv6';
  /** As lsof prints it: `*` (any address), `127.0.0.1`, `::1`, ... */
  readonly address: string;
  readonly port: number;
}

/** Pure: parse lsof's default table output (TCP LISTEN rows, or every UDP row). Lines that do not parse are skipped. */
export function parseLsof(text: string, transport: 'tcp' | 'udp' = 'tcp'): LsofListener[] {
  stringArgument('parseLsof', 'text', text, 'the output of lsof -F');
  transportArgument('parseLsof', transport);
  const out: LsofListener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const tokens = line.trim().split(/\s+/);
    if (tokens.length < 9) continue;
    const pid = Number(tokens[1]);
    const family = tokens.find((t) => t === 'IPv4' || t === 'IPv6') as LsofListener['family'] | undefined;
    const tcp = tokens.lastIndexOf(transport.toUpperCase());
    if (!Number.isInteger(pid) || !family || tcp < 0) continue;
    // A connected UDP socket's name is `local->remote`: the local end is what holds the port.
    const name = (tokens[tcp + 1] ?? '').split('->')[0]!;
    if (
      transport === 'tcp' &&
      !tokens
        .slice(tcp + 2)
        .join(' ')
        .includes('LISTEN')
    )
      continue;
    const colon = name.lastIndexOf(':');
    const port = Number(name.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    const address = name.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    // lsof escapes unprintable bytes (and spaces) as \xNN.
    const command = joinKeptBytes(tokens[0]!.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => escapedByte(parseInt(hex, 16))));
    out.push({ command, pid, user: tokens[2]!, family, address, port });
  }
  return out;
}

/** Run lsof for one port: TCP listeners, or UDP sockets bound to it. Resolves [] when there are none (lsof exits 1 with no output). */
export async function readLsofListeners(port: number, lsof = 'lsof', transport: 'tcp' | 'udp' = 'tcp'): Promise<LsofListener[]> {
  portArgument('readLsofListeners', port);
  nonEmptyStringArgument('readLsofListeners', 'lsof', lsof, 'the lsof command (default lsof)');
  transportArgument('readLsofListeners', transport);
  // Loaded here, not at the top: child_process costs every /proc user start-up time.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const args = transport === 'tcp' ? ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN'] : ['-nP', `-iUDP:${port}`];
    execFile(lsof, args, { timeout: 10_000 }, (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error(`cannot read sockets: there is no /proc and no ${lsof} on this system`));
        return;
      }
      // Exit status 1 with empty output is "nothing found".
      if (error && stdout.trim() !== '') {
        resolve(parseLsof(stdout, transport));
        return;
      }
      resolve(error ? [] : parseLsof(stdout, transport));
    });
  });
}
