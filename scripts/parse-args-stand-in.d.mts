// Types of parse-args-stand-in.mjs, for its test.
import type { ParseArgsConfig, parseArgs } from 'node:util';

export function parseOperandsOnly(config: ParseArgsConfig): ReturnType<typeof parseArgs> | undefined;
