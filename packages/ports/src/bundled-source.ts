/** A Registry's `source` when it is the registry bundled with this package (no file was read): what messages name it by. */
export const BUNDLED_SOURCE = 'ports.yaml (bundled)';
