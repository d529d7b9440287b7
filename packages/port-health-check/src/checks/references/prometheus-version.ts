// What a prometheus.yml asks of the Prometheus that reads it: scrape_config_files
// is Prometheus 2.43's; 2.42 (Debian 12's) refuses the whole configuration
// ("field scrape_config_files not found in type config.plain", promtool check
// config 2.42.0). The version is the one gather read for the unit
// (dpkg-version.ts), never found by running the program.
import { escapeText } from '@dsa110/ports';
import type { PrometheusVersion } from '../../types.js';
import type { Finding } from './finding.js';

/** The first Prometheus that reads scrape_config_files. */
const SCRAPE_CONFIG_FILES_SINCE = [2, 43] as const;

/**
 * Pure: the finding for a top-level `scrape_config_files:` of `text` (a block key at the start of a line) held to the
 * version of the Prometheus that reads it (`version`, of the unit `unit` runs): an error when it is older than 2.43,
 * which refuses the file and exits at start; unknown, saying why, when its version is not known; nothing for 2.43 and
 * later, without the key, or when no unit's command line was read (`version` undefined: nothing is known of it).
 */
export function versionFindings(text: string, version: PrometheusVersion | undefined, unit: string | undefined): Finding[] {
  const match = /^scrape_config_files[ \t]*:/m.exec(text);
  // No unit running prometheus read: which one reads the file is not known, as for its command line (nothing said).
  if (match === null || version === undefined) return [];
  const line = text.slice(0, match.index).split('\n').length;
  const at = { line, column: 1 };
  const needs = 'scrape_config_files needs Prometheus 2.43 or later';
  if ('unknown' in version)
    return [
      {
        ...at,
        severity: 'unknown',
        message: `${needs}, and which Prometheus reads this file is not known (${escapeText(unit ?? '', 200)}: ${version.unknown}); check it runs 2.43 or later (prometheus --version)`,
      },
    ];
  const parts = /^(?:\d+:)?(\d+)\.(\d+)/.exec(version.version);
  if (parts === null)
    return [{ ...at, severity: 'unknown', message: `${needs}, and ${escapeText(version.version, 100)} (${version.from}) is no version this check reads` }];
  const [major, minor] = [Number(parts[1]), Number(parts[2])];
  const older = major < SCRAPE_CONFIG_FILES_SINCE[0] || (major === SCRAPE_CONFIG_FILES_SINCE[0] && minor < SCRAPE_CONFIG_FILES_SINCE[1]);
  if (!older) return [];
  return [
    {
      ...at,
      severity: 'error',
      message: `${needs}, but ${escapeText(unit ?? 'its unit', 200)} runs ${escapeText(version.version, 100)} (${escapeText(version.from, 500)}), which refuses the whole configuration (promtool check config: "field scrape_config_files not found in type config.plain") and exits at start; move those jobs into scrape_configs, or upgrade Prometheus`,
    },
  ];
}
