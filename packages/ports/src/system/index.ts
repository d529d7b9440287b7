// @dsa110/ports/system: reading the live machine. LISTEN sockets from
// /proc/net/tcp{,6}, which processes hold them (one /proc/*/fd scan), and
// process details; lsof as the fallback where there is no /proc.
export { decodeIPv4, decodeIPv6, compressIPv6, isWildcard, formatEndpoint, normalizeAddress } from './address.js';
export { addressBits, type AddressBits } from './ip.js';
export {
  parseProcNetTcp,
  readListenSockets,
  readListenSocketsSync,
  hasProcNet,
  type ListenSocket,
  type SocketFamily,
  type ReadSocketsOptions,
} from './sockets.js';
export { isDualStack, readBindV6Only, readKernelV6Only } from './dual-stack.js';
export { scanSocketHolders, type HolderScan, type ScanOptions, type SocketLinks } from './holders.js';
export {
  scanSocketHoldersParallel,
  startSocketHoldersParallel,
  hasIdleCore,
  PARALLEL_MIN_PROCESSES,
  type ParallelScanOptions,
  type ParallelHolderScan,
  type StartedHolderScan,
} from './holders-parallel.js';
export {
  readProcessInfo,
  readStartTime,
  parseStat,
  parseStatusUids,
  ancestors,
  readProcessUsage,
  liveThreadId,
  type ProcessInfo,
  type ProcessUsage,
  type StatFields,
} from './process.js';
export { userName, parsePasswd, passwdEntries, type PasswdEntry } from './users.js';
export { snapshot, snapshotSync, assemble, type Listener, type Snapshot, type SnapshotOptions } from './snapshot.js';
export { parseLsof, readLsofListeners, type LsofListener } from './lsof.js';
export { tryBind, portAvailability, findFreePort, type BindResult, type FindFreePortOptions, type PortAvailability } from './free-port.js';
export { processNames, matchProcessName, isInterpreterName, globToRegExp, type NamedProcess } from './process-names.js';
export { pythonRun, type PythonRun } from './interpreters.js';
export { cgroupLines, cgroupPath, parseCgroupPath, readCgroup, readCgroupLines, containerFromArgs, type CgroupLine, type CgroupPlace } from './cgroup.js';
export {
  unitSearchPath,
  restartSetting,
  restartsAfterKill,
  readRestartFromFiles,
  readRestartPolicy,
  readUserRestartFromFiles,
  userUnitSearchPath,
  systemdRunning,
  type RestartPolicy,
} from './unit-restart.js';
export { parsePortSockets, readPortSockets, readBoundUdpSockets, readSocketsByInode, TCP_STATES, type PortSocket, type Transport } from './port-sockets.js';
export { canBind, canBindSync, canBindAddressSync, type BindCheck } from './bindable.js';
export { now } from './clock.js';
export {
  tableInodes,
  processesWithUnlistedSockets,
  unlistedSocketHolders,
  socketReuseAddress,
  sockstatRulesOutUnlistedTcp,
  type UnexaminedReason,
  type UnlistedHolders,
  type UnlistedPortSocket,
} from './hidden-sockets.js';
export { EPHEMERAL_RANGE_FILE, parsePortRange, readEphemeralRange } from './ephemeral.js';
export { decodeKeepingBadBytes, escapedByte, fileSystemPath, joinKeptBytes } from '../utf8.js';
