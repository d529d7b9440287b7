// Parse a systemd unit or drop-in file the way systemd's config parser does
// (systemd.syntax(7), src/shared/conf-parser.c): lines end at LF, CR LF or a
// lone CR; `[Section]` headers (a header line must end with `]`, else systemd
// refuses the file); `Key=Value` assignments with white space trimmed around
// both; `#` and `;` comment lines, only at the start of a line (a `#` later in
// a line is part of the value); a line whose last character is an unescaped
// backslash joins the next (the backslash becomes a space; a backslash
// followed by a space is not a continuation; comment lines inside the
// continuation are dropped). Pure: text in, assignments out with line numbers.

export interface Assignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** 1-based line of the assignment's first line. */
  readonly line: number;
}

/** A line that makes systemd refuse to load the file, with its 1-based line. */
export interface UnitFileError {
  readonly line: number;
  readonly message: string;
}

export function parseUnitFile(text: string, errors: UnitFileError[] = []): Assignment[] {
  const assignments: Assignment[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
  let section = '';
  let pending: { text: string; line: number } | undefined;

  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const trimmed = raw.trim();
    if (pending) {
      if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    } else if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      continue;
    }
    // An odd number of backslashes at the very end of the raw line (trailing white space breaks it).
    const continues = /(^|[^\\])(\\\\)*\\$/.test(raw);
    const piece = continues ? raw.trimStart().slice(0, -1) : trimmed;
    if (pending) pending.text += ` ${piece}`;
    else pending = { text: piece, line: index + 1 };
    if (continues && index < lines.length - 1) continue;

    const { text: logical, line } = pending;
    pending = undefined;
    if (logical.startsWith('[')) {
      const header = logical.trim();
      if (!header.endsWith(']') || header.length < 3) {
        errors.push({
          line,
          message: `invalid section header ${JSON.stringify(header.slice(0, 80))} (a header line holds only [Section]; systemd refuses the file)`,
        });
        section = '';
        continue;
      }
      section = header.slice(1, -1);
      continue;
    }
    const equals = logical.indexOf('=');
    if (equals <= 0) continue; // systemd logs "missing '='" and ignores the line
    assignments.push({ section, key: logical.slice(0, equals).trim(), value: logical.slice(equals + 1).trim(), line });
  }
  return assignments;
}
