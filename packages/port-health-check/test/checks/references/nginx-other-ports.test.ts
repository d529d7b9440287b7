// A site's listens and passes on ports other than the registry's, as ordinary setups have them (an HTTP redirect
// server beside the HTTPS one, Grafana served under /grafana/): nginx's to open, or another service's to be held
// to; only another service's port (or a reserved range) for a listen, and no service's port for a pass, are errors.
// Real files under a temp root, the bundled registry (and a copy with nginx on 443), the real check.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, type Registry, type Service } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const bundled = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });

/** The bundled registry with nginx on 443 by HTTPS, as a site that redirects port 80 to HTTPS would have it. */
async function httpsRegistry(): Promise<Registry> {
  const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
  const changed = text.replace(/(- id: nginx\n(?:.*\n)*?\s+port: )80\n(\s+protocol: )HTTP\n/, '$1443\n$2HTTPS\n');
  expect(changed).not.toBe(text);
  const path = join(tempDir(), 'ports.yaml');
  writeFileSync(path, changed);
  return loadRegistry({ path });
}

const SITE = 'etc/nginx/sites-available/dsa110-contimg';

/** The references check's non-ok findings for nginx on a root of every snippet, the site replaced, as `severity: reason`. */
async function nginxProblems(site: string, registry: Registry = bundled): Promise<string[]> {
  const root = tempDir();
  const tree: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) tree[snippet.path.slice(1)] = snippet.text;
  writeTree(root, { ...tree, [SITE]: site });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx' as never) as Service)
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`);
}

const API = 'location /api/ { proxy_pass http://127.0.0.1:8000; }';
const METRICS = 'location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; }';

/** A redirect server on 80 and the HTTPS server on 443, as the tester's site had them (nginx -t accepts it). */
const HTTPS_SITE = `server {
    listen 80;
    listen [::]:80;
    server_name dsa110.example.org;
    return 301 https://$host$request_uri;
}
server {
    listen 443 ssl http2;
    listen [::]:443 ssl http2;
    server_name dsa110.example.org;
    ssl_certificate /etc/ssl/dsa/cert.pem;
    ssl_certificate_key /etc/ssl/dsa/key.pem;
    ${API}
    ${METRICS}
}
`;

/** The bundled snippet's shape with one more line in its server. */
const site = (line: string) => `server {\n    listen 80;\n    listen [::]:80;\n    ${API}\n    ${METRICS}\n    ${line}\n}\n`;
const AT = `/${SITE}:6:`;

describe('listens on a port other than the registry’s', () => {
  it('HTTP beside HTTPS passes whichever of the two the registry gives nginx', async () => {
    expect(await nginxProblems(HTTPS_SITE)).toEqual([]);
    expect(await nginxProblems(HTTPS_SITE, await httpsRegistry())).toEqual([]);
  });

  it('a listen on another service’s port, or in a reserved range not kept for nginx, is an error; the site’s own port must be listened on', async () => {
    expect(await nginxProblems(site('listen 8001;'))).toEqual([
      `error: nginx (80): ${AT}5: listen 8001 (in http {}) takes port 8001, which the registry gives MkDocs: nginx holds it, so MkDocs cannot listen there; move this listen to a port the registry gives no service, or give MkDocs another port in the registry`,
    ]);
    expect(await nginxProblems(site('listen 3215;'))).toEqual([
      `error: nginx (80): ${AT}5: listen 3215 (in http {}) takes port 3215, inside the registry's reserved Dashboard fallback ports (3210-3220), not kept for Nginx; move this listen to a port the registry gives no service and reserves for none, or keep the range for Nginx in the registry (for:)`,
    ]);
    // Port 80 listened on nowhere: the HTTPS server alone, with the registry's nginx on 80.
    const only443 = HTTPS_SITE.replace(/^server \{[^}]*\}\n/, '');
    expect(await nginxProblems(only443)).toEqual([
      `error: nginx (80): /${SITE}:2:5: no listen on port 80, the one the registry gives Nginx (the site listens on 443), so nginx does not serve it there; add listen 80; (ports snippet nginx-site), or give Nginx port: 443 in the registry`,
    ]);
  });
});

describe('passes to another registry service’s own port', () => {
  it('reach that service, held to its protocol, not to the upstream’s port; /api/ and /metrics are still the upstream’s', async () => {
    expect(await nginxProblems(site('location /grafana/ { proxy_set_header Host $host; proxy_pass http://127.0.0.1:3030; }'))).toEqual([]);
    expect(await nginxProblems(site('location /grafana/ { proxy_pass https://127.0.0.1:3030; }'))).toEqual([
      `error: nginx (80): ${AT}26: proxy_pass https://127.0.0.1:3030 speaks TLS to Grafana, but the registry says Grafana is plain HTTP, so the handshake fails and nginx answers 502 ("SSL_do_handshake() failed ... wrong version number"); write proxy_pass http://127.0.0.1:3030;, or give Grafana protocol: HTTPS in the registry`,
    ]);
    // Through a named upstream block too.
    expect(
      await nginxProblems(site('location /grafana/ { proxy_pass http://graf; }\n}\nupstream graf { server 127.0.0.1:3030;').replace(/\}\n$/, '}\n')),
    ).toEqual([]);
    // Redis speaks neither HTTP nor HTTPS: most likely meant for the upstream.
    expect(await nginxProblems(site('location /r/ { proxy_pass http://127.0.0.1:6379; }'))).toEqual([
      `error: nginx (80): ${AT}20: proxy_pass http://127.0.0.1:6379 reaches Redis, which the registry says speaks neither HTTP nor HTTPS; write proxy_pass http://127.0.0.1:8000; if it is meant for FastAPI (ports snippet nginx-site), or give Redis protocol: HTTP in the registry`,
    ]);
    // Passing only to Grafana passes nothing to the upstream: said, as for a site with no pass at all.
    expect(await nginxProblems('server {\n    listen 80;\n    listen [::]:80;\n    location /grafana/ { proxy_pass http://127.0.0.1:3030; }\n}\n')).toEqual([
      `warning: nginx (80): /${SITE}: no proxy_pass to FastAPI (port 8000): nginx passes nothing to it; add location /api/ { proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)`,
      `warning: nginx (80): /${SITE}: no location /metrics restricting FastAPI's metrics to localhost (ports snippet nginx-site)`,
    ]);
    // The upstream's metrics are still held: an open /metrics beside /grafana/ is an error.
    const open = site('location /grafana/ { proxy_pass http://127.0.0.1:3030; }').replace(
      METRICS,
      METRICS.replace('allow 127.0.0.1; allow ::1; deny all; ', ''),
    );
    expect(await nginxProblems(open)).toEqual([expect.stringMatching(/^error: nginx \(80\): .*location \/metrics is not restricted to localhost/)]);
  });

  it('through a named upstream block, each server is held to the service its port reaches, as a pass straight to it is', async () => {
    const through = (servers: string, pass = 'proxy_pass http://back') => `upstream back {\n${servers}}\n${site(`location /r/ { ${pass}; }`)}`;
    // Redis speaks neither HTTP nor HTTPS: an error at the server, whatever else the block holds.
    expect(await nginxProblems(through('    server 127.0.0.1:6379;\n'))).toEqual([
      `error: nginx (80): /${SITE}:2:5: server 127.0.0.1:6379 in upstream back (proxy_pass http://back at line 9) reaches Redis, which the registry says speaks neither HTTP nor HTTPS, so proxy_pass speaks HTTP to it; write server 127.0.0.1:8000; if it is meant for FastAPI (ports snippet nginx-site), or give Redis protocol: HTTP in the registry`,
    ]);
    expect(await nginxProblems(through('    server localhost:8000;\n    server localhost:6379 backup;\n', 'grpc_pass grpc://back'))).toEqual([
      `error: nginx (80): /${SITE}:3:5: server localhost:6379 in upstream back (grpc_pass grpc://back at line 10) reaches Redis, which the registry says speaks neither HTTP nor HTTPS, so grpc_pass speaks gRPC to it; write server localhost:8000; if it is meant for FastAPI (ports snippet nginx-site), or give Redis protocol: HTTP in the registry`,
    ]);
    // A down server is sent nothing; a UNIX socket or another host is no registry port here.
    expect(
      await nginxProblems(
        through('    server 127.0.0.1:8000;\n    server 127.0.0.1:6379 down;\n    server unix:/run/redis.sock;\n    server 10.1.2.3:6379;\n'),
      ),
    ).toEqual([]);
    // Each service's scheme: TLS to Grafana (plain HTTP) beside FastAPI in one block is said for both.
    expect(await nginxProblems(through('    server 127.0.0.1:8000;\n    server 127.0.0.1:3030 backup;\n', 'proxy_pass https://back'))).toEqual([
      expect.stringContaining(`/${SITE}:10:20: proxy_pass https://back speaks TLS to FastAPI`),
      expect.stringContaining(`/${SITE}:10:20: proxy_pass https://back speaks TLS to Grafana`),
    ]);
  });

  it('a pass to a port no registry service uses is an error naming the upstream’s port', async () => {
    expect(await nginxProblems(site('location /grafana/ { proxy_pass http://127.0.0.1:3031; }'))).toEqual([
      `error: nginx (80): ${AT}26: proxy_pass http://127.0.0.1:3031, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 3031; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 3031 in the registry`,
    ]);
  });
});
