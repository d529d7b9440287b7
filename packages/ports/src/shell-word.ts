// A word of a shell command line printed for an operator to run: as written
// when the shell leaves it so, else in single quotes (`foo\x2dbar.service`
// would lose its backslash, `my dir` would be two words).

/** `word` as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}
