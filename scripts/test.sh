#!/usr/bin/env bash
# The whole test suite: Debian packages the tests use (as root), install, build, type-check and lint, unit + integration tests, the docs
# drift check, the end-to-end suite, changeset status, the packed packages' checks, and the benchmark's quick run. Prints
# "N passed, N failed" (totals across vitest runs) as its last line.
set -uo pipefail
cd "$(dirname "$0")/.."
PNPM=${PNPM:-npx -y pnpm@10.34.9}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT # the vitest JSON reports, read for the last line
status=0

bash scripts/install-system-packages.sh || exit 1
$PNPM install --frozen-lockfile || exit 1
$PNPM run build || exit 1

# Guards: every TypeScript file type-checks (tsc -b over the project references); lint and formatting
# (pnpm lint: biome check, import cycles included; `pnpm format` fixes the formatting).
$PNPM run typecheck || status=1
$PNPM run lint || status=1

$PNPM exec vitest run --reporter=default --reporter=json --outputFile.json="$results/unit.json" || status=1
if [ -f e2e/vitest.config.ts ]; then
  $PNPM exec vitest run --config e2e/vitest.config.ts --reporter=default --reporter=json --outputFile.json="$results/e2e.json" || status=1
fi
if [ -f packages/ports/dist/cli/ports.js ] && [ -f docs/ports.md ]; then
  node packages/ports/bin/ports.js docs --check || status=1
fi
if [ -f packages/ports/dist/cli/ports.js ] && [ -d deploy ]; then
  # The committed deploy/ tree: current, and valid by its own projects' checkers.
  node packages/ports/bin/ports.js monitoring --check || status=1
  if command -v promtool >/dev/null; then
    promtool check config deploy/prometheus/prometheus.yml || status=1
    promtool test rules deploy/prometheus/tests/dsa110-ports.rules.test.yml || status=1
  else
    # Not root on a machine without Debian's prometheus (install-system-packages.sh said so): two checks skipped, counted below.
    echo "test.sh: promtool not installed: the two promtool checks of deploy/ are skipped" >&2
    echo '{"numPassedTests":0,"numFailedTests":0,"numPendingTests":2}' >"$results/promtool.json"
  fi
fi
if [ -f packages/ports/dist/cli/ports.js ] && [ -f deploy/nftables/dsa110-ports.nft ]; then
  # The committed nft rules: what ports.yaml gives as they were written (--format nft, no --keep-open; a service's env
  # override such as CONTIMG_API_PORT set here would change the rules, and fail this check).
  node packages/ports/bin/ports.js firewall --registry ports.yaml --format nft --out deploy/nftables/dsa110-ports.nft --check || status=1
fi
# Every package changed since the base branch has a changeset.
bash scripts/changeset-status.sh || status=1
# The packages as a consumer gets them: packed, installed with npm outside the repo,
# imported, required, run, type-checked, linted (publint, attw), and rebuilt byte for byte.
node scripts/check-packages.mjs --reproducible || status=1
if [ -f bench/package.json ]; then
  $PNPM --filter ./bench run bench --quick || status=1
fi

node -e '
const fs = require("fs");
let passed = 0, failed = 0, skipped = 0;
for (const f of fs.readdirSync(process.argv[1])) {
  const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
  passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests || 0);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
if (passed + failed === 0) process.exit(1);
' "$results" || status=1
exit $status
