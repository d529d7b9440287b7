// A listener held only inside an io_uring: it listens on 127.0.0.1:PORT,
// registers the socket with a ring (IORING_REGISTER_FILES), closes its own fd
// and waits. No fd table shows the socket; the ring's fdinfo does. With
// `ownTable`, a second thread does it all in an fd table of its own
// (unshare(CLONE_FILES)): /proc/PID/fd does not show the ring either, only
// /proc/PID/task/TID/fd; with `leaderExits`, a second thread does it in the
// process's table and the main thread exits (/proc/PID/fd is then empty);
// `leaderRing` (with `ownTable`), the main thread makes a ring of its own at the same fd number
// (and a socket more, so that its table's size differs); `idleThreads`, that many more threads that share the process's table. Built with gcc; run as nobody where the tests run as
// root (any local user can do this).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCommand } from './commands.js';
import { forgetSpawned, isAlive, recordSpawned, waitForExit, waitUntil } from './guard.js';

const SOURCE = `#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
static int port;
#ifdef LEADER_RING
static pthread_barrier_t made, copied;
static int ring_fd;
static int make_ring(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  return syscall(__NR_io_uring_setup, 4, &p);
}
#endif
static void *hold(void *unused) {
  (void)unused;
#ifdef OWN_TABLE
  if (unshare(CLONE_FILES)) { perror("unshare"); exit(1); }
#endif
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 5)) { perror("listen"); exit(1); }
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ring = syscall(__NR_io_uring_setup, 4, &p);
  if (ring < 0) { perror("io_uring_setup"); exit(3); }
  if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1) < 0) { perror("io_uring_register"); exit(3); }
  struct stat st;
  if (fstat(fd, &st)) { perror("fstat"); exit(1); }
  close(fd);
#ifdef LEADER_RING
  ring_fd = ring;
  pthread_barrier_wait(&made);
  pthread_barrier_wait(&copied);
#endif
  printf("{\\"pid\\": %d, \\"tid\\": %ld, \\"port\\": %d, \\"ring\\": %d, \\"inode\\": %lu}\\n", getpid(), (long)syscall(SYS_gettid), port, ring, (unsigned long)st.st_ino);
  fflush(stdout);
  for (;;) pause();
}
#ifdef IDLE_THREADS
static void *idle(void *unused) {
  (void)unused;
  for (;;) pause();
}
#endif
int main(int argc, char **argv) {
  (void)argc;
  port = atoi(argv[1]);
#ifdef IDLE_THREADS
  for (int i = 0; i < IDLE_THREADS; i++) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, idle, NULL)) { perror("pthread_create"); return 1; }
  }
#endif
#ifdef LEADER_RING
  pthread_barrier_init(&made, NULL, 2);
  pthread_barrier_init(&copied, NULL, 2);
#endif
#if defined(OWN_TABLE) || defined(LEADER_EXITS)
  pthread_t thread;
  if (pthread_create(&thread, NULL, hold, NULL)) { perror("pthread_create"); return 1; }
#ifdef LEADER_RING
  /* A ring of the process's own at the fd number of the thread's ring, registering nothing. */
  pthread_barrier_wait(&made);
  int ring = make_ring();
  if (ring < 0 || (ring != ring_fd && (dup2(ring, ring_fd) < 0 || close(ring)))) { perror("leader ring"); exit(3); }
#ifndef SAME_SIZE
  /* One fd more: the two tables' sizes differ. */
  if (socket(AF_INET, SOCK_STREAM, 0) < 0) { perror("leader ring"); exit(3); }
#endif
  pthread_barrier_wait(&copied);
#endif
#ifdef LEADER_EXITS
  pthread_exit(NULL);
#endif
  for (;;) pause();
#else
  hold(NULL);
#endif
}
`;

/** Why the ring holder cannot run here, or undefined when it can (gcc, and io_uring not disabled for its user). */
export function ringHolderUnavailable(): string | undefined {
  if (!hasCommand('gcc')) return 'no gcc to build the io_uring holder';
  const disabled = existsSync('/proc/sys/kernel/io_uring_disabled') ? readFileSync('/proc/sys/kernel/io_uring_disabled', 'latin1').trim() : '0';
  if (disabled === '2' || (disabled === '1' && process.getuid?.() === 0)) return `io_uring is disabled here (kernel.io_uring_disabled = ${disabled})`;
  return undefined;
}

export interface RingHolder {
  readonly pid: number;
  readonly port: number;
  /** The listening socket's inode, as the program read it (fstat) before it closed its fd. */
  readonly inode: number;
  /** The ring's fd. */
  readonly ring: number;
  /** The thread that made the ring (the process's own PID, unless `ownTable` or `leaderExits`). */
  readonly tid: number;
  /** SIGKILL it (if still alive) and remove its build directory. */
  stop(): Promise<void>;
}

/**
 * Build and start the ring holder on `port` (as nobody when root), recorded with the guard. `ownTable`: its ring, and
 * the socket, are made by a second thread in an fd table of that thread's own (unshare(CLONE_FILES)); `leaderExits`: by
 * a second thread in the process's table, and the main thread exits (pthread_exit); `leaderRing` (with `ownTable`): the
 * main thread makes an empty ring at the fd number of the thread's, in the process's table, and one fd more there unless
 * `sameSize` (then the two tables have as many fds: one size); `idleThreads`: that many threads
 * more, started first, that share the process's table and only wait.
 */
export async function startRingHolder(
  port: number,
  {
    ownTable = false,
    leaderExits = false,
    leaderRing = false,
    sameSize = false,
    idleThreads = 0,
  }: { ownTable?: boolean; leaderExits?: boolean; leaderRing?: boolean; sameSize?: boolean; idleThreads?: number } = {},
): Promise<RingHolder> {
  const dir = mkdtempSync(join(tmpdir(), 'ring-holder-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'ring.c'), SOURCE);
  const cc = spawnSync(
    'gcc',
    [
      '-O',
      '-pthread',
      ...(ownTable ? ['-DOWN_TABLE'] : []),
      ...(leaderExits ? ['-DLEADER_EXITS'] : []),
      ...(leaderRing ? ['-DLEADER_RING'] : []),
      ...(sameSize ? ['-DSAME_SIZE'] : []),
      ...(idleThreads > 0 ? [`-DIDLE_THREADS=${idleThreads}`] : []),
      '-o',
      join(dir, 'ring'),
      join(dir, 'ring.c'),
    ],
    { encoding: 'utf8' },
  );
  if (cc.status !== 0) throw new Error(`gcc could not build the io_uring holder: ${cc.stderr}`);
  const argv = [join(dir, 'ring'), String(port)];
  const run = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  const child = spawn(run[0]!, run.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  // setpriv execs: the program's PID is the child's.
  if (child.pid !== undefined) recordSpawned(child.pid);
  const pid = child.pid!;
  const stop = async () => {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await waitForExit(pid, 5000);
    forgetSpawned(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  let out = '';
  let err = '';
  child.stderr!.on('data', (data: Buffer) => (err += data.toString()));
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout!.on('data', (data: Buffer) => {
      out += data.toString();
      if (out.includes('\n')) resolve(true);
    });
    child.on('close', () => resolve(false));
  });
  if (!ready) {
    await stop();
    throw new Error(`the io_uring holder did not start: ${err.trim()}`);
  }
  const line = JSON.parse(out.slice(0, out.indexOf('\n'))) as { pid: number; tid: number; port: number; ring: number; inode: number };
  if (line.pid !== pid) {
    await stop();
    throw new Error(`the io_uring holder reported PID ${line.pid}, not ${pid}`);
  }
  // The thread prints its line before the main thread is surely gone: until then /proc/PID/fd is still the leader's.
  if (leaderExits && !(await waitUntil(() => readdirSync(`/proc/${pid}/fd`).length === 0, 5000))) {
    await stop();
    throw new Error(`the io_uring holder's main thread did not exit (PID ${pid})`);
  }
  return { pid, port, inode: line.inode, ring: line.ring, tid: line.tid, stop };
}
