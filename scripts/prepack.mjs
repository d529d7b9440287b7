#!/usr/bin/env node
// Every package's `prepack`: nothing is packed unbuilt, and nothing is packed
// by a tool that would ship a broken package.
//
// - Only pnpm may pack (`pnpm pack`, `pnpm publish`, `changeset publish`): it
//   rewrites `workspace:*` to the version and applies publishConfig.exports
//   (the exports without the "development" condition, which points at
//   src/*.ts, not shipped). `npm pack` does neither: its tarball would fail to
//   install (EUNSUPPORTEDPROTOCOL) or resolve to missing sources, so it is
//   refused here, with what to run instead.
// - Then the package and the workspace packages it depends on are built,
//   unless DSA110_PREBUILT=1 says the caller (`pnpm tarballs`, `pnpm release`)
//   has just built everything.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  const tool = agent.split(' ')[0] || 'this tool';
  console.error(
    `${pkg.name}: refusing to pack with ${tool}: it would ship \`workspace:*\` dependencies and a "development" export condition that npm cannot install. ` +
      'Pack with pnpm, which rewrites both: `npx -y pnpm@10.34.9 pack` here, or `npx -y pnpm@10.34.9 tarballs` at the repository root for every package.',
  );
  process.exit(1);
}
if (process.env.DSA110_PREBUILT === '1') process.exit(0);

const execPath = process.env.npm_execpath;
const pnpm = execPath ? [process.execPath, execPath] : ['npx', '-y', 'pnpm@10.34.9'];
const build = spawnSync(pnpm[0], [...pnpm.slice(1), '--filter', `${pkg.name}...`, 'run', 'build'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
