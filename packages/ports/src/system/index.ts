// Reading sockets and processes: filled in by the claim-port work.
export {};
