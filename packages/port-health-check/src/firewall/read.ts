// Read the live nftables ruleset: `nft -j list ruleset`, started without
// waiting so that it runs while the rest is gathered, with a short timeout and
// a cap on its output. It needs root (CAP_NET_ADMIN); any failure becomes the
// reason the firewall check gives for "unknown", never an exception.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { parseRuleset, RulesetError, type Ruleset } from './ruleset.js';

/** The ruleset; or why it could not be read; or `unread` when no service needed it (nothing listened beyond loopback). */
export type FirewallFacts = { readonly ruleset: Ruleset } | { readonly problem: string } | { readonly unread: true };

export const NFT_TIMEOUT_MS = 2000;
export const NFT_MAX_BYTES = 16 * 1024 * 1024;
/** Where nft lives when PATH (cron's is short) does not say. */
const SBIN = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The nft executable: the first in PATH, then the sbin directories; undefined when there is none. */
export function findNft(path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(delimiter).filter((dir) => dir.startsWith('/')), ...SBIN]) {
    const candidate = join(dir, 'nft');
    try {
      const info = statSync(candidate);
      if (info.isFile() && (info.mode & 0o111) !== 0) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Start reading the ruleset (nft is running when this returns); the promise never rejects. */
export function readRuleset(nft: string | undefined): Promise<FirewallFacts> {
  if (!nft) return Promise.resolve({ problem: 'nft is not installed' });
  // Required here, not imported at the top: only a run that needs the ruleset pays for child_process;
  // synchronously, so that nft starts now and runs while the caller goes on reading.
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let settled = false;
    const finish = (facts: FirewallFacts) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(facts);
    };
    const child = spawn(nft, ['-j', 'list', 'ruleset'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ problem: `nft -j list ruleset gave no answer within ${NFT_TIMEOUT_MS} ms` });
    }, NFT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > NFT_MAX_BYTES) {
        child.kill('SIGKILL');
        finish({ problem: `the ruleset is larger than ${NFT_MAX_BYTES / 1024 / 1024} MiB` });
      } else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => finish({ problem: `cannot run ${nft}: ${error.code ?? error.message}` }));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const said = firstLine(stderr);
        const why = /Operation not permitted|Permission denied/i.test(stderr)
          ? 'permission denied: nft needs root with CAP_NET_ADMIN'
          : said || `nft exited with ${code ?? signal}`;
        finish({ problem: why });
        return;
      }
      try {
        finish({ ruleset: parseRuleset(Buffer.concat(chunks).toString('utf8')) });
      } catch (error) {
        if (!(error instanceof RulesetError)) throw error;
        finish({ problem: `nft printed something else than its JSON (${error.message})` });
      }
    });
  });
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 200);
}
