// `ports list`'s table: columns line up on a terminal whatever the names hold.
import { describe, expect, it } from 'vitest';
import { columns, textTable } from '../../src/render/list.js';

describe('textTable', () => {
  it('lines up columns after wide characters, emoji and combining marks', () => {
    const names = ['Plain', '日本 API', 'Launch 🚀', 'Cafe\u0301', 'Ｆｕｌｌ'];
    const table = textTable(
      ['NAME', 'PORT'],
      names.map((name, index) => [name, String(8000 + index)]),
    );
    const lines = table.split('\n');
    expect(lines).toHaveLength(names.length + 1);
    // The PORT column starts at the same terminal column on every line.
    const starts = lines.map((line) => columns(line.slice(0, line.search(/(PORT|\d{4})$/))));
    expect(new Set(starts)).toEqual(new Set([columns('Launch 🚀') + 2]));
  });

  it('counts terminal columns', () => {
    expect(columns('abc')).toBe(3);
    expect(columns('日本')).toBe(4);
    expect(columns('🚀')).toBe(2);
    expect(columns('Cafe\u0301')).toBe(4);
    expect(columns('©')).toBe(1);
  });
});
