// Kept for callers of the library API: the report writer is the core's
// writeOutputFile (@dsa110/ports/files), which replaces a regular file
// atomically (temp file in the same directory, fsync, rename) and never turns
// a device, FIFO or symbolic link into a regular file.
import { writeOutputFile } from '@dsa110/ports/files';

export async function writeAtomic(path: string, text: string): Promise<void> {
  writeOutputFile(path, text);
}
