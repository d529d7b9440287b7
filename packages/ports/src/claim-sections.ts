// The top-level `claim:` blocks of a registry's text, found line by line without YAML: what a file too large or
// too full to read as a registry still protects is read from them alone (parse.ts), and a read cut at a size is cut
// at a line break first (load.ts). No yaml here: load.ts is in every tool's start-up, the parser is not.

/**
 * A top-level `claim` key at the start of a line (plain or quoted, a BOM before it): where a claim block starts. A line
 * starts after CR or LF only, as YAML's lines do (the `m` flag would start one after U+2028 too, inside a comment).
 */
const CLAIM_KEY = /(?<![^\r\n])\uFEFF?(?:claim|"claim"|'claim')[ \t]*:(?=[ \t\r\n]|$)/g;
/** A line break before a line that starts with anything but a space, a tab, a comment or another line break: where a block ends. */
const BLOCK_END = /(?:\r\n?|\n)(?=[^ \t#\r\n])/g;
/** The claim blocks read, at most: a log of `claim:` lines appended to a registry is not read a block at a time. */
export const MAX_CLAIM_SECTIONS = 32;
/**
 * Of each block, at most its first this many characters (cut at a line break): a claim block is a few lines, and
 * the values that fit in it (at most two a character, and one) stay under the parser's limit (MAX_EXPANDED_NODES),
 * so a log whose lines are indented under the block is read as far as YAML reads its top.
 */
export const MAX_CLAIM_SECTION_CHARS = 32 * 1024;

/**
 * Pure: the top-level `claim:` blocks of a registry's text (the first MAX_CLAIM_SECTIONS), each its key line with the
 * lines under it (indented, blank or comments), cut to MAX_CLAIM_SECTION_CHARS at a line break. Not found: a `claim`
 * inside a flow mapping that holds the whole document or in a document indented as a whole, one written as an
 * explicit key (`? claim`), with a tag or an escape (`!!str claim`, `"cl\x61im"`); a line that only looks like the
 * key (in a quoted scalar) adds a protection at most, never takes one away.
 */
export function claimSections(text: string): string[] {
  const sections: string[] = [];
  CLAIM_KEY.lastIndex = 0;
  for (let found = CLAIM_KEY.exec(text); found !== null && sections.length < MAX_CLAIM_SECTIONS; found = CLAIM_KEY.exec(text)) {
    BLOCK_END.lastIndex = found.index;
    const end = BLOCK_END.exec(text);
    const stop = end === null ? text.length : end.index + end[0].length;
    const section = text.slice(found.index, Math.min(stop, found.index + MAX_CLAIM_SECTION_CHARS)).replace(/^\uFEFF/, '');
    sections.push(stop - found.index > MAX_CLAIM_SECTION_CHARS ? throughLastLineBreak(section) : section);
    CLAIM_KEY.lastIndex = stop;
  }
  return sections;
}

/** Pure: `text` up to and with its last line break (CR or LF, as YAML's lines end), or '' where it has none: a text cut at a size, its cut line left out. */
export function throughLastLineBreak(text: string): string {
  return text.slice(0, Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r')) + 1);
}
