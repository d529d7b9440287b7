// pidusage ships no types; the part claim-port uses.
declare module 'pidusage' {
  interface Stat {
    cpu: number;
    memory: number;
    ppid: number;
    pid: number;
    ctime: number;
    elapsed: number;
    timestamp: number;
  }
  function pidusage(pids: number[], options?: { maxage?: number }): Promise<Record<string, Stat | undefined>>;
  namespace pidusage {
    function clear(): void;
  }
  export default pidusage;
}
