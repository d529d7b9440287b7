// A label name Prometheus refuses in prometheus.yml: the keys of a
// static_configs entry's `labels:` and of `external_labels:` must match
// `[a-zA-Z_][a-zA-Z0-9_]*` (model.LabelName), else the file is not loaded
// (`promtool check config`: `"bad-name" is not a valid label name`, with no
// line). A label a merge key (`<<`) gives is set where the `<<` is, from the
// merged mapping: both places are said.
import type { SetKey } from './yaml-repeated-keys.js';

/** The mappings whose keys are label names Prometheus checks. */
const LABEL_MAPS = new Set(['labels', 'external_labels']);

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether Prometheus takes `name` as a label name (model.LabelName's IsValid, as 2.x checks it; file_sd files' labels too). */
export const isLabelName = (name: string): boolean => LABEL_NAME.test(name);

/** Whether a key set in a mapping is a label name Prometheus refuses. */
export function isRefusedLabel(set: SetKey): boolean {
  return set.parent !== undefined && LABEL_MAPS.has(set.parent) && !isLabelName(set.key);
}
