// Trees of installed uvicorns for tests of the version lookup (uvicorn-install.ts): Debian 12's python3-uvicorn, and a
// pip install in a venv. Files as those installs lay them out (checked on Debian 12 and with pip 23 in a venv).
import type { TreeEntry } from './helpers.js';

const PROGRAM = { text: '\u007fELF stand-in\n', mode: 0o755 } as const;
export const PKG_INFO = (version: string) => `Metadata-Version: 2.1\nName: uvicorn\nVersion: ${version}\nSummary: The lightning-fast ASGI server.\n`;

/** Debian 12's python3 and python3-uvicorn (and the passwd that gives root's and api's homes, for their ~/.local). */
export const DEBIAN_UVICORN: Record<string, TreeEntry> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/bash\napi:x:998:998::/var/lib/api:/usr/sbin/nologin\n',
  'usr/bin/python3': { symlink: 'python3.11' },
  'usr/bin/python3.11': PROGRAM,
  'usr/lib/python3/dist-packages/uvicorn/__init__.py': '',
  'usr/lib/python3/dist-packages/uvicorn-0.17.6.egg-info/PKG-INFO': PKG_INFO('0.17.6'),
};

/** A venv at /opt/api/venv with `version` of uvicorn installed by pip (its `uvicorn` script). */
export function venvUvicorn(version: string): Record<string, TreeEntry> {
  const site = 'opt/api/venv/lib/python3.11/site-packages';
  return {
    'usr/bin/python3.11': PROGRAM,
    'opt/api/venv/pyvenv.cfg': 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n',
    'opt/api/venv/bin/python3': { symlink: '/usr/bin/python3.11' },
    'opt/api/venv/bin/uvicorn': { text: '#!/opt/api/venv/bin/python3\nimport sys\nfrom uvicorn.main import main\n', mode: 0o755 },
    [`${site}/uvicorn/__init__.py`]: '',
    [`${site}/uvicorn-${version}.dist-info/METADATA`]: PKG_INFO(version),
    [`${site}/distutils-precedence.pth`]: 'import os\n',
  };
}
