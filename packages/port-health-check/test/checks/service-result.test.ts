// How a check about one service words its results (src/checks/service-result.ts).
import { describe, expect, it } from 'vitest';
import { serviceResult } from '../../src/checks/service-result.js';

describe('serviceResult', () => {
  it('names the service and port first in every reason, with the file or processes when given, in the JSON report order', () => {
    const result = serviceResult('systemd', { id: 'redis' }, 6379);
    expect(result('error', 'no claim line')).toEqual({
      check: 'systemd',
      severity: 'error',
      service: 'redis',
      port: 6379,
      reason: 'redis (6379): no claim line',
    });
    expect(Object.keys(result('warning', 'x', '/etc/x.conf:2'))).toEqual(['check', 'severity', 'service', 'port', 'reason', 'file']);
    const owner = serviceResult('owner', { id: 'api' }, 8000, { processes: [] });
    expect(owner('ok', 'held by uvicorn')).toEqual({
      check: 'owner',
      severity: 'ok',
      service: 'api',
      port: 8000,
      reason: 'api (8000): held by uvicorn',
      processes: [],
    });
  });
});
