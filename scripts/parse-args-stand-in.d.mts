// Types of parse-args-stand-in.mjs, for its test.
import type { ParseArgsConfig, parseArgs } from 'node:util';

export function parseArgsStandIn(config: ParseArgsConfig): ReturnType<typeof parseArgs> | undefined;
