// Each interpreter's command line read with its own option grammar: a table
// per interpreter of argv -> the program it runs (names as processNames adds them).
import { describe, expect, it } from 'vitest';
import { processNames } from '../../src/system/process-names.js';

const program = (argv: string[]) => {
  const own = new Set(processNames({ comm: argv[0]!, argv: [argv[0]!] }));
  return processNames({ comm: argv[0]!, argv }).filter((name) => !own.has(name));
};

describe.each([
  [
    'python3',
    [
      [['python3', '-m', 'uvicorn', 'app:app'], ['uvicorn']],
      [['python3', '-W', 'ignore', '-m', 'uvicorn'], ['uvicorn']],
      [['python3', '-X', 'utf8', '-m', 'uvicorn'], ['uvicorn']],
      [['python3', '-Wignore', '-Xdev', '-muvicorn'], ['uvicorn']],
      [
        ['python3', '-uW', 'ignore', 'serve.py'],
        ['serve.py', 'serve'],
      ],
      [['python3', '-um', 'uvicorn'], ['uvicorn']],
      // CPython's getopt (python3.11): -mu runs the module u; a line it refuses runs nothing.
      [['python3', '-mu', 'uvicorn'], ['u']],
      [['python3', '-Im', 'uvicorn'], ['uvicorn']],
      [['python3', '-uX', 'dev', '-m', 'uvicorn'], ['uvicorn']],
      [['python3', '-z', '-m', 'uvicorn'], []],
      [['python3', '-J', '-m', 'uvicorn'], []],
      [['python3', '--check-hash-based-pycs=never', '-m', 'uvicorn'], []],
      [['python3', '--check-hash-based-pycs', 'bogus', '-m', 'uvicorn'], []],
      [
        ['python3', '-OO', '-u', '/srv/app.py', '-m', 'x'],
        ['app.py', 'app'],
      ],
      [
        ['python3', '--check-hash-based-pycs', 'always', 'run.py'],
        ['run.py', 'run'],
      ],
      [['python3', '-c', 'import uvicorn', 'uvicorn'], []],
      [['python3', '-Sc', 'import uvicorn'], []],
      [['python3', '-', 'uvicorn'], []],
      [
        ['python3', '--', 'x.py'],
        ['x.py', 'x'],
      ],
    ],
  ],
  [
    'node',
    [
      [
        ['node', '/srv/vite.js', '--port', '3000'],
        ['vite.js', 'vite'],
      ],
      [
        ['node', '-r', 'dotenv/config', 'server.js'],
        ['server.js', 'server'],
      ],
      [
        ['node', '--require', 'ts-node/register', 'server.ts'],
        ['server.ts', 'server'],
      ],
      [
        ['node', '--import', 'tsx', 'main.mjs'],
        ['main.mjs', 'main'],
      ],
      [
        ['node', '--import=tsx', '--inspect', 'main.mjs'],
        ['main.mjs', 'main'],
      ],
      [
        ['node', '--env-file', '.env', '--title', 'api', 'api.cjs'],
        ['api.cjs', 'api'],
      ],
      [
        ['node', '-C', 'development', 'a.js'],
        ['a.js', 'a'],
      ],
      [['node', '-e', 'require("http")', 'x.js'], []],
      [['node', '--eval=1', 'x.js'], []],
      [['node', '-p', '1'], []],
    ],
  ],
  [
    'perl',
    [
      [
        ['perl', '-Mstrict', '-w', 'daemon.pl'],
        ['daemon.pl', 'daemon'],
      ],
      [
        ['perl', '-I/opt/lib', 'x.pl'],
        ['x.pl', 'x'],
      ],
      [['perl', '-e', 'print 1', 'x.pl'], []],
    ],
  ],
  [
    'ruby',
    [
      [
        ['ruby', '-r', 'bundler/setup', 'app.rb'],
        ['app.rb', 'app'],
      ],
      [
        ['ruby', '-I', 'lib', 'app.rb'],
        ['app.rb', 'app'],
      ],
      [['ruby', '-e', 'puts 1'], []],
    ],
  ],
  [
    'php',
    [
      [['php', '-S', '0.0.0.0:8080', '-t', 'public'], []],
      [
        ['php', '-c', '/etc/php.ini', '-f', 'worker.php'],
        ['worker.php', 'worker'],
      ],
      [['php', '-r', 'echo 1;'], []],
      [['php', 'artisan', 'serve'], ['artisan']],
    ],
  ],
  [
    'java',
    [
      [
        ['java', '-Xmx1g', '-jar', '/opt/kafka.jar'],
        ['kafka.jar', 'kafka'],
      ],
      [['java', '-cp', 'lib/*', 'org.example.Main'], ['org.example.Main']],
      [['java', '-m', 'com.x/com.x.Main'], ['com.x/com.x.Main']],
    ],
  ],
  [
    'bash',
    [
      [['bash', '-c', 'exec uvicorn'], []],
      [
        ['bash', '-o', 'pipefail', 'run.sh'],
        ['run.sh', 'run'],
      ],
      [
        ['bash', '-eu', 'run.sh'],
        ['run.sh', 'run'],
      ],
    ],
  ],
] as const)('%s', (_, table) => {
  it.each(table.map(([argv, names]) => [argv.join(' '), argv, names] as const))('%s', (_, argv, names) => {
    expect(program([...argv])).toEqual([...names]);
  });
});
