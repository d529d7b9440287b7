// Renderers for docs, systemd and env output: filled in by the ports command work.
export {};
