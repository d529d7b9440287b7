// The code cache's checksum (code-cache.ts): V8 does not check its own data
// in a release build, and a damaged entry run as it is crashed or misled the
// bins. The loader reads the bundle and the entry straight into the
// checksummer's memory and sums them there, so nothing is copied.
//
// Two checksums, the first this Node has:
//
// - zlib's CRC-32, from Node's own zlib binding (Node 20.15 and later;
//   process.binding, as bindable.ts reads libuv's handles): no module is
//   loaded (zlib.js costs about 7 ms of a start, with its streams; it is
//   loaded only where Node would warn of process.binding, node-binding.ts).
//   It finds every change of one bit, every burst of 32 bits or fewer, and
//   other damage but for a chance of about 2^-32.
// - A 64-bit sum by a 181-byte WebAssembly function (Node before 20.15): it
//   costs about 5 ms more at every start than the CRC, on the VM of
//   2026-12-03 (`node -e 0` 69 ms; a script that sums 400 KB: 76.5 ms against
//   71.8 with the CRC, medians of 30 interleaved runs): WebAssembly's engine
//   and compiler touch about 120 pages of memory first, and each page first
//   touched costs about 15 µs there.
//
// The WebAssembly function, in the text format (assembled by hand below):
//
//   (func (export "h") (param $at i32) (param $n i32) (result i64)
//     (local $h i64) (local $end i32)
//     h = SEED ^ i64(n)
//     for each 8-byte little-endian word w from $at:  h = rotl((h ^ w) * K, 27)
//     for each byte b after the last whole word:      h = rotl((h ^ b) * K, 27)
//     h)
//   (memory (export "m") 1)
//
// Each step is a bijection of h for a given input and of the input for a given
// h (K is odd), so a change of any one word or byte always changes the sum;
// other damage goes unseen with a chance of about 2^-64. Neither is a defence
// against anyone who can write the entry: the cache directory's owner and mode
// are (cache.ts).

import { createRequire } from 'node:module';
import { nodeBinding } from '../node-binding.js';

/** The starting value, FNV-1a's 64-bit offset basis. */
export const CHECKSUM_SEED = 0xcbf29ce484222325n;
/** The multiplier: odd (so the step is a bijection), 2^64 / the golden ratio. */
export const CHECKSUM_K = 0x9e3779b97f4a7c15n;

// biome-ignore format: one instruction a line, each with what it does
const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e, // types: (i32, i32) -> i64
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory: one page to start
  0x07, 0x09, 0x02, 0x01, 0x68, 0x00, 0x00, 0x01, 0x6d, 0x02, 0x00, // exports: "h" function 0, "m" memory 0
  0x0a, 0x8d, 0x01, 0x01, 0x8a, 0x01, // code: one body of 138 bytes
  0x02, 0x01, 0x7e, 0x01, 0x7f, // locals: $h i64, $end i32
  0x42, 0xa5, 0xc6, 0x88, 0xa1, 0xc8, 0x9c, 0xa7, 0xf9, 0x4b, // i64.const SEED
  0x20, 0x01, 0xad, 0x85, 0x21, 0x02, // h = SEED ^ i64.extend_i32_u(n)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x78, 0x71, 0x6a, 0x21, 0x03, // end = at + (n & -8)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01, // at >= end: out
  0x20, 0x02, 0x20, 0x00, 0x29, 0x00, 0x00, 0x85, // h ^ i64.load(at)
  0x42, 0x95, 0xf8, 0xa9, 0xfa, 0x97, 0xb7, 0xde, 0x9b, 0x9e, 0x7f, 0x7e, // * K
  0x42, 0x1b, 0x89, 0x21, 0x02, // rotl 27, into h
  0x20, 0x00, 0x41, 0x08, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // at += 8, again
  0x20, 0x00, 0x20, 0x01, 0x41, 0x07, 0x71, 0x6a, 0x21, 0x03, // end = at + (n & 7)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x03, 0x4f, 0x0d, 0x01, // at >= end: out
  0x20, 0x02, 0x20, 0x00, 0x31, 0x00, 0x00, 0x85, // h ^ i64.load8_u(at)
  0x42, 0x95, 0xf8, 0xa9, 0xfa, 0x97, 0xb7, 0xde, 0x9b, 0x9e, 0x7f, 0x7e, // * K
  0x42, 0x1b, 0x89, 0x21, 0x02, // rotl 27, into h
  0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // at += 1, again
  0x20, 0x02, 0x0b, // h
];

// @types/node declares no WebAssembly: the little of it used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: { readonly h: (at: number, length: number) => bigint; readonly m: WasmMemory } };
}

const PAGE = 65536;

/** The checksum function with its memory: bytes are put at an offset of `memory()`, then summed in place. */
export interface Checksummer {
  /** Which sum: zlib's CRC-32 or the WebAssembly function's 64 bits (an entry says which it holds, code-cache.ts). */
  readonly kind: 'crc32' | 'wasm64';
  /** The memory, at least `bytes` long (growing it keeps its bytes and detaches views of the old one). */
  memory(bytes: number): Uint8Array;
  /** The checksum of `length` bytes of the memory from `at`. */
  sum(at: number, length: number): bigint;
}

/**
 * A new checksummer, the first this Node has (see above): zlib's CRC-32, else
 * the WebAssembly function; undefined where neither runs (`node --jitless`
 * before Node 20.15, or an address-space limit too small for the memory):
 * then there is no code cache, only the usual compile.
 */
export function checksummer(env: Readonly<Record<string, string | undefined>> = process.env): Checksummer | undefined {
  return crc32Checksummer(env) ?? wasmChecksummer();
}

type Crc32 = (data: Uint8Array, value?: number) => number;

/** zlib's CRC-32 (see above); undefined before Node 20.15, which has no such function. */
export function crc32Checksummer(env: Readonly<Record<string, string | undefined>> = process.env): Checksummer | undefined {
  try {
    const crc32 = zlibCrc32(env);
    if (crc32 === undefined) return undefined;
    let memory = new Uint8Array(0);
    return {
      kind: 'crc32',
      memory(bytes) {
        if (bytes > memory.length) {
          // Not zero-filled: a page is touched only when a file's bytes are read into it.
          const grown = Buffer.allocUnsafeSlow(bytes);
          grown.set(memory);
          memory = grown;
        }
        return memory;
      },
      sum: (at, length) => BigInt(crc32(memory.subarray(at, at + length), 0)),
    };
  } catch {
    return undefined;
  }
}

/**
 * zlib's crc32 from Node's zlib binding, without loading zlib.js; where Node
 * would warn of the binding (node-binding.ts), the same function from
 * node:zlib. Undefined before Node 20.15.
 */
function zlibCrc32(env: Readonly<Record<string, string | undefined>>): Crc32 | undefined {
  // Any absolute path serves createRequire for a builtin, which is never looked up on disk (the loader's bundle has no import.meta).
  const zlib = nodeBinding('zlib', env) ?? (createRequire(process.execPath)('node:zlib') as { crc32?: unknown });
  return typeof zlib.crc32 === 'function' ? (zlib.crc32 as Crc32) : undefined;
}

/** The WebAssembly function's 64-bit sum (see above); undefined where WebAssembly cannot run (`node --jitless`). */
export function wasmChecksummer(): Checksummer | undefined {
  try {
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return undefined;
    const { h, m } = new wasm.Instance(new wasm.Module(Uint8Array.from(MODULE))).exports;
    return {
      kind: 'wasm64',
      memory(bytes) {
        const short = bytes - m.buffer.byteLength;
        if (short > 0) m.grow(Math.ceil(short / PAGE));
        return new Uint8Array(m.buffer);
      },
      sum: (at, length) => BigInt.asUintN(64, h(at, length)),
    };
  } catch {
    return undefined;
  }
}

/** The checksum of `bytes` (copied into a checksummer's memory); undefined where no checksummer runs. */
export function checksum(bytes: Uint8Array, using: Checksummer | undefined = checksummer()): bigint | undefined {
  if (using === undefined) return undefined;
  try {
    using.memory(bytes.length).set(bytes);
    return using.sum(0, bytes.length);
  } catch {
    return undefined;
  }
}
