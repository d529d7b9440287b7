// The names of the port health check's own units, which `ports systemd` writes
// (health-timer.ts). In a module of their own so that the registry's schema can
// refuse them as a service's unit without loading the renderers.

export const HEALTH_SERVICE = 'dsa110-port-health.service';
export const HEALTH_TIMER = 'dsa110-port-health.timer';
