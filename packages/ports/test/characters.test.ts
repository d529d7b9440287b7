// The character sets the tools write out by hand (a Unicode property escape
// costs its pattern's making at every start): each one, code point by code
// point, against the property it stands for.
import { describe, expect, it } from 'vitest';
import { NONCHARACTERS, NONCHARACTERS_BEYOND_BMP } from '../src/characters.js';

describe('character sets', () => {
  it("NONCHARACTERS with NONCHARACTERS_BEYOND_BMP are exactly Unicode's noncharacters, all 66", () => {
    const listed = new RegExp(`^[${NONCHARACTERS}${NONCHARACTERS_BEYOND_BMP}]$`, 'u');
    const property = /^\p{Noncharacter_Code_Point}$/u;
    const differ: string[] = [];
    let count = 0;
    for (let code = 0; code <= 0x10ffff; code++) {
      const char = String.fromCodePoint(code);
      const isListed = listed.test(char);
      if (isListed) count++;
      if (isListed !== property.test(char)) differ.push(code.toString(16));
    }
    expect(differ).toEqual([]);
    expect(count).toBe(66);
  });
});
