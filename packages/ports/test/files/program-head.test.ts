// A file's first bytes as the kernel reads them: ELF, a #! script, or neither; on real files' heads.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isElfHead, isScriptHead } from '../../src/files/program-head.js';

describe('a file head', () => {
  it('is ELF for /proc/self/exe (node itself), a script for #!, neither for text or too few bytes', () => {
    const node = readFileSync('/proc/self/exe').subarray(0, 4);
    expect(isElfHead(node)).toBe(true);
    expect(isScriptHead(node)).toBe(false);
    expect(isScriptHead(Buffer.from('#!/bin/sh\n'))).toBe(true);
    expect(isElfHead(Buffer.from('# HELP dsa110_port_up'))).toBe(false);
    expect(isElfHead(node.subarray(0, 3))).toBe(false);
    expect(isScriptHead(Buffer.from('#'))).toBe(false);
    expect(isElfHead(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2]))).toBe(true);
  });

  it('refuses what is not bytes, naming itself', () => {
    expect(() => isElfHead('\x7fELF' as never)).toThrow(/^isElfHead: head must be a Uint8Array \(a file's first bytes\), not /);
    expect(() => isScriptHead(undefined as never)).toThrow(/^isScriptHead: head must be a Uint8Array/);
  });
});
