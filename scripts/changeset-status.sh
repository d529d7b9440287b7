#!/usr/bin/env bash
# `changeset status` against the base branch (.changeset/config.json): fails when
# a package changed since then without a changeset. It needs that branch to compare
# with: the local one, else origin's; in a clone that has neither (a tarball, a
# detached CI checkout without history) there is nothing to compare, and this says
# so instead of failing.
set -uo pipefail
cd "$(dirname "$0")/.."
PNPM=${PNPM:-npx -y pnpm@10.34.9}
base=$(node -p "require('./.changeset/config.json').baseBranch")
for ref in "$base" "origin/$base"; do
  if git rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
    exec $PNPM exec changeset status --since="$ref"
  fi
done
echo "changeset status: skipped: no $base or origin/$base branch in this clone to compare with"
