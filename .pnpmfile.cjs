'use strict';
// pnpm's hooks for this workspace. beforePacking: the package.json a tarball
// carries (`pnpm pack`, `pnpm publish`, `changeset publish`) has no "scripts":
// each runs a file that is not shipped (scripts/build.mjs, tsconfig.json,
// ../../scripts/prepack.mjs), and none is a lifecycle script an install runs.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.scripts;
      return pkg;
    },
  },
};
