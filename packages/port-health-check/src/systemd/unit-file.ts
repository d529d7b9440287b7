// Parse a systemd unit or drop-in file the way systemd's config parser does:
// `[Section]` headers, `Key=Value` assignments with white space trimmed around
// both, `#` and `;` comment lines, and a trailing backslash joining a line to
// the next (the backslash becomes a space; comment lines inside the
// continuation are dropped). Pure: text in, assignments out with line numbers.

export interface Assignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** 1-based line of the assignment's first line. */
  readonly line: number;
}

export function parseUnitFile(text: string): Assignment[] {
  const assignments: Assignment[] = [];
  const lines = text.split(/\r?\n/);
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
    const continues = /(^|[^\\])(\\\\)*\\$/.test(trimmed); // an odd number of trailing backslashes
    const piece = continues ? trimmed.slice(0, -1) : trimmed;
    if (pending) pending.text += ` ${piece}`;
    else pending = { text: piece, line: index + 1 };
    if (continues && index < lines.length - 1) continue;

    const { text: logical, line } = pending;
    pending = undefined;
    if (logical.startsWith('[')) {
      const end = logical.indexOf(']');
      if (end > 0) section = logical.slice(1, end);
      continue;
    }
    const equals = logical.indexOf('=');
    if (equals <= 0) continue; // systemd logs "missing '='" and ignores the line
    assignments.push({ section, key: logical.slice(0, equals).trim(), value: logical.slice(equals + 1).trim(), line });
  }
  return assignments;
}
