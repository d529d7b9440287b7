// @dsa110/ports/files: reading and writing files users name, safely. Used by
// the registry loader, the health check (unit files, drop-ins, config files,
// --output) and the ports command (docs --file).
export { readFileBytes, readTextFile, fileKind, formatBytes, FileReadError, type ReadFailure, type ReadOptions } from './read.js';
export { writeOutputFile, FileWriteError, type WriteMethod, type WriteOptions } from './write.js';
