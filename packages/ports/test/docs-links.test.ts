// Every link on every page a user reads (the READMEs, CONTRIBUTING.md, docs/)
// leads somewhere: a relative path exists, and an anchor is made by a heading
// of the page it points at (a renamed heading breaks the Contents lists and
// the cross-references between the READMEs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokenLinks, docPages, headingAnchors } from '../../../test-support/index.js';

/** docs/ports.md is also a page of the pipeline's documentation site: these siblings are there, not here (the page says so). */
const PIPELINE_PAGES = ['api.md', 'security.md', 'monitoring.md', 'nginx.md'].map((page) => `docs/ports.md: ${page}: no such file`);

describe('links in the documentation', () => {
  it('anchors are made as GitHub makes them', () => {
    const anchors = headingAnchors('packages/ports/README.md');
    expect(anchors).toContain('loadregistryoptions--promiseregistry');
    expect(anchors).toContain('dsa110portssystem-sockets-and-processes');
  });

  it.each(docPages())('%s: every relative link and anchor leads somewhere', (page) => {
    expect(brokenLinks(page).filter((problem) => !PIPELINE_PAGES.includes(problem))).toEqual([]);
  });

  // npm shows a package's README alone, and an install holds only that package: a relative link out of it leads nowhere there.
  it.each(['claim-port', 'port-health-check', 'ports'])('packages/%s/README.md links out of its package only by absolute URL', (name) => {
    const text = readFileSync(new URL(`../../${name}/README.md`, import.meta.url), 'utf8');
    expect(text.match(/\]\((?:\.\.\/|\/)[^)]*\)/g) ?? []).toEqual([]);
  });

  it('would see a broken one (the pipeline pages docs/ports.md links to are not here)', () => {
    expect(brokenLinks('docs/ports.md')).toEqual(PIPELINE_PAGES);
  });
});
