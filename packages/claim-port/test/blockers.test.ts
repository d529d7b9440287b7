// How sockets out of the kernel's tables that could not be examined are named:
// sockets (not fds), why they were not examined, and never "held by no
// process" (processes hold them; none is proved to hold the port).
import { describe, expect, it } from 'vitest';
import { describeBlockers, describeUnexamined } from '../src/blockers.js';

describe('describeUnexamined', () => {
  it('counts sockets and says why they could not be examined, naming no holder and no absent one', () => {
    const blocker = { socket: describeUnexamined(100, ['timed-out']), holders: [], unexamined: true };
    expect(describeBlockers({ ok: false, blockers: [blocker] }, 0)).toBe(
      "100 sockets out of the kernel's tables could not be examined (the examination timed out), and one of them may be bound to the port",
    );
    expect(describeUnexamined(1, ['not-permitted', 'gone'])).toBe(
      "1 socket out of the kernel's tables could not be examined (pidfd_getfd was not permitted; their processes exited or closed them meanwhile), and it may be bound to the port",
    );
    expect(describeUnexamined(2, ['no-perl'])).toBe(
      "2 sockets out of the kernel's tables could not be examined (there is no /usr/bin/perl or /bin/perl to examine them), and one of them may be bound to the port",
    );
  });
});
