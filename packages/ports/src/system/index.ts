// Reading sockets and processes: filled in by the claim-port work.
export {};
export { tryBind, portAvailability, findFreePort, type BindResult, type PortAvailability } from './free-port.js';
