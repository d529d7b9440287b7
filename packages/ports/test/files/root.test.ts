import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { hostPath, MAX_LINKS, nameInRoot, resolveInRoot } from '../../src/files/root.js';

/** An image at `img` and, beside it, a host file the image's links must never reach. */
function image(files: Parameters<typeof writeTree>[1]) {
  const top = tempDir('dsa110-root-');
  writeTree(top, { 'host/secret': 'HOST SECRET\n' });
  const img = join(top, 'img');
  writeTree(img, files);
  return { img, secret: join(top, 'host/secret') };
}

describe('resolveInRoot', () => {
  it('starts an absolute link again at the root, never at the host', () => {
    const { img, secret } = image({ 'etc/redis/redis.conf': { symlink: '/srv/redis.conf' }, 'srv/redis.conf': 'port 6379\n' });
    expect(resolveInRoot(img, '/etc/redis/redis.conf')).toBe('/srv/redis.conf');
    expect(readFileSync(hostPath(img, '/etc/redis/redis.conf'), 'utf8')).toBe('port 6379\n');
    // The same link to the host's secret, by absolute path, stays in the image.
    writeTree(img, { 'etc/leak': { symlink: secret } });
    expect(hostPath(img, '/etc/leak')).toBe(join(img, secret));
    expect(() => readFileSync(hostPath(img, '/etc/leak'))).toThrow(/ENOENT/);
  });

  it('stops `..` at the root, in links and in the path', () => {
    const { img } = image({ 'etc/a/link': { symlink: '../../../../../../host/secret' }, 'host/secret': 'image file\n' });
    expect(resolveInRoot(img, 'etc/a/link')).toBe('/host/secret');
    expect(readFileSync(hostPath(img, 'etc/a/link'), 'utf8')).toBe('image file\n');
    expect(resolveInRoot(img, '/../../../host/secret')).toBe('/host/secret');
  });

  it('follows a linked directory inside the root', () => {
    const { img } = image({ 'etc/systemd/system': { symlink: '/usr/lib/units' }, 'usr/lib/units/api.service': '[Service]\n' });
    expect(resolveInRoot(img, 'etc/systemd/system/api.service')).toBe('/usr/lib/units/api.service');
  });

  it('names a chain of links that ends at /dev/null, which the image need not have', () => {
    const { img } = image({ 'etc/x.service': { symlink: 'y.service' }, 'etc/y.service': { symlink: '/dev/null' } });
    expect(resolveInRoot(img, 'etc/x.service')).toBe('/dev/null');
  });

  it('drops the `..` after a missing component, so the result does not exist either', () => {
    const { img } = image({ 'etc/present': 'x' });
    expect(resolveInRoot(img, 'etc/missing/../../../../host/secret')).toBe('/etc/missing/host/secret');
  });

  it(`refuses a loop after ${MAX_LINKS} links (ELOOP)`, () => {
    const { img } = image({ 'etc/a': { symlink: 'b' }, 'etc/b': { symlink: 'a' } });
    expect(() => resolveInRoot(img, 'etc/a')).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    // A link to a host path is looked up inside the root: missing there, or, when the root mirrors
    // that path (a test tree of links to the host's own files), a link to itself.
    const selfLink = join(img, 'srv/app.conf');
    writeTree(img, { 'srv/app.conf': { symlink: selfLink } });
    expect(() => resolveInRoot(img, selfLink.slice(img.length))).not.toThrow();
    const hostPathLink = image({});
    writeTree(hostPathLink.img, { [`${hostPathLink.img.slice(1)}/x.conf`]: { symlink: `${hostPathLink.img}/x.conf` } });
    expect(() => resolveInRoot(hostPathLink.img, `${hostPathLink.img}/x.conf`)).toThrow(/a loop of symbolic links \(links are followed inside the root/);
  });

  it('under /, hostPath leaves the lookup to the kernel', () => {
    expect(hostPath('/', 'etc/hostname')).toBe('/etc/hostname');
  });
});

describe('nameInRoot', () => {
  it('names a file inside the root as the booted system does, and one outside not at all', () => {
    const { img, secret } = image({ 'etc/dsa110/ports.yaml': 'services: []\n' });
    expect(nameInRoot(img, join(img, 'etc/dsa110/ports.yaml'))).toBe('/etc/dsa110/ports.yaml');
    expect(nameInRoot(img, img)).toBe('/');
    expect(nameInRoot(img, secret)).toBeUndefined();
    // `ROOT/../host/secret` is lexically outside; so is a sibling whose name begins with ROOT's.
    expect(nameInRoot(img, join(img, '../host/secret'))).toBeUndefined();
    mkdirSync(`${img}x`);
    writeFileSync(`${img}x/ports.yaml`, '');
    expect(nameInRoot(img, `${img}x/ports.yaml`)).toBeUndefined();
  });

  it('finds a root, or a file, reached through host links', () => {
    const { img } = image({ 'etc/dsa110/ports.yaml': 'services: []\n' });
    const via = `${img}-link`;
    symlinkSync(img, via);
    expect(nameInRoot(via, join(img, 'etc/dsa110/ports.yaml'))).toBe('/etc/dsa110/ports.yaml');
    expect(nameInRoot(img, join(via, 'etc/dsa110/ports.yaml'))).toBe('/etc/dsa110/ports.yaml');
  });

  it('under / is the path made absolute; a file not there yet is still named', () => {
    expect(nameInRoot('/', '/etc//dsa110/./ports.yaml')).toBe('/etc/dsa110/ports.yaml');
    const { img } = image({ etc: { dir: true } });
    expect(nameInRoot(img, join(img, 'etc/new.yaml'))).toBe('/etc/new.yaml');
  });
});
