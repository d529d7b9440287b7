// @dsa110/ports/files: reading and writing files users name, safely. Used by
// the registry loader, the health check (unit files, drop-ins, config files,
// --output) and the ports command (docs --file; the trees `ports systemd` and
// `ports monitoring` write).
export {
  checkFileReadable,
  readFileBytes,
  readSystemFileBytes,
  readTextFile,
  fileKind,
  formatBytes,
  FileReadError,
  type ReadFailure,
  type ReadOptions,
} from './read.js';
export { hostPath, nameInRoot, resolveInRoot, MAX_LINKS } from './root.js';
export { writeOutputFile, writesToStdout, replaceFileAtomically, FileWriteError, type WriteMethod, type WriteOptions } from './write.js';
export {
  ConcurrentWriteError,
  inspectGeneratedFiles,
  readFileIfPresent,
  writeGeneratedFiles,
  type GeneratedFile,
  type InspectedFile,
  type TreeOptions,
  type WrittenFile,
} from './tree.js';
export { posixAcls, type AclAnswer } from './posix-acls.js';
export { isElfHead, isScriptHead } from './program-head.js';
