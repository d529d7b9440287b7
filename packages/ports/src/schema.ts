// The shape of ports.yaml. Rules that span entries (unique ports, ranges that
// overlap, ...) live in rules.ts; this file only says what one entry may hold.
import * as z from 'zod';
import { BUILTIN_PROTECTED_PROCESSES, MIN_PROTECTED_PIDS_UP_TO } from './builtin-protection.js';
import { CONTROLS_BUT_NEWLINE, INVISIBLE, INVISIBLE_BEYOND_BMP, LONE_SURROGATE, NONCHARACTERS, NONCHARACTERS_BEYOND_BMP } from './characters.js';
import { configKinds, plainPath } from './config-kinds.js';
import { quoteValue } from './escape.js';
import { CLOSED_SETS, globProblem } from './glob.js';
import {
  DEFAULT_CLAIM_TIMEOUT_SECONDS,
  DEFAULT_SCRAPE_INTERVAL,
  MAX_CLAIM_TIMEOUT_SECONDS,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PATH_LENGTH,
  MAX_PIDS_UP_TO,
  MAX_PROSE_LENGTH,
  MAX_UNIT_NAME_LENGTH,
  UNIT_NAME_CHARACTERS,
  MIN_CLAIM_TIMEOUT_SECONDS,
  TIMEOUT_TOO_LONG,
  TIMEOUT_TOO_SHORT,
} from './limits.js';
import { HEALTH_SERVICE } from './render/health-unit-names.js';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, starting with a letter')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`);

/** Keys whose numbers must be written as whole numbers (`61800`, not `61800.0`); see parse.ts. */
export const INTEGER_KEYS: ReadonlySet<string> = new Set(['port', 'start', 'end', 'pidsUpTo', 'version']);

const port = z
  .number({ error: 'must be a port number written in plain decimal, 1-65535' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

/**
 * A service's port variable is set by `eval "$(ports env)"` and `ports env
 * --format systemd` (Environment=), and resolvePort reads it as the port. A
 * list of the variables programs read for themselves is never complete
 * (BASH_ENV=8000 makes every bash script source ./8000, PATH=8000 leaves the
 * shell no commands, LD_PRELOAD=8000 loads a library named 8000; EDITOR,
 * PAGER, GIT_SSH_COMMAND, HTTP_PROXY, PYTHONSTARTUP, PERL5OPT run or redirect
 * programs), so the rule is the other way round: the name must say it holds a
 * port. PORT as the whole name, its end (REDIS_PORT, PGPORT) or a word of it
 * followed by _ or a digit (API_PORT_NUMBER, PORT2). Then, of those, names in a
 * namespace that the loader, the C library, bash, systemd or these tools own
 * are refused too (LD_*, LC_*, BASH_*, DSA110_PORTS_*, ...): that namespace is
 * theirs to define.
 */
const PORT_NAME = 'PORT(?:[_0-9]|$)';
const OWNED_ENV_PREFIXES = '(?:LD|LC|BASH|MALLOC|GLIBC|SYSTEMD|XDG|LISTEN|WATCHDOG|NOTIFY|DSA110_PORTS)_';

const envVar = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name: upper-case letters, digits and _, not starting with a digit')
  // Patterns, not refinements, so that schema.json (and an editor) has them too. The second is only
  // reported for a name that passes the first: one message each.
  .regex(
    new RegExp(`^(?![A-Z0-9_]*$)|^[A-Z0-9_]*${PORT_NAME}`),
    'must say it holds a port: PORT, or a name with PORT at its end or before _ or a digit (REDIS_PORT, PGPORT, API_PORT_NUMBER, PORT2); `eval "$(ports env)"` sets it to a port, and a variable of any other name may be one a program reads for itself (PATH, EDITOR, PAGER, GIT_SSH_COMMAND, HTTP_PROXY, PYTHONSTARTUP); name it for the service, e.g. CONTIMG_API_PORT',
  )
  .regex(
    new RegExp(`^(?!${OWNED_ENV_PREFIXES}[A-Z0-9_]*${PORT_NAME})`),
    'must not be in a namespace the loader, the C library, bash, systemd or these tools read for themselves (LD_*, LC_*, BASH_*, MALLOC_*, GLIBC_*, SYSTEMD_*, XDG_*, LISTEN_*, WATCHDOG_*, NOTIFY_*, DSA110_PORTS_*): `eval "$(ports env)"` would set it to a port; name it for the service, e.g. CONTIMG_API_PORT',
  );

/*
 * The patterns below are also schema.json's (zod writes each one's source there), where a JSON Schema
 * validator reads them with the `u` flag: each means the same with it as zod's expression does (a
 * test holds every one). A set beyond the BMP is written as code points, with the `u` flag here too:
 * a surrogate-pair alternation (characters.ts's *_PAIRS) matches nothing under `u`.
 */

/**
 * Every text of the registry reaches a terminal (`ports list`, the health
 * check), the reference page, the firewall script and the alerts as written:
 * no control character (a terminal escape, a bell, a carriage return), no
 * Unicode line separator, bidirectional override or isolate, no byte order
 * mark. Line breaks are allowed in prose; names and paths are one line.
 */
const NO_CONTROLS = new RegExp(`^[^${CONTROLS_BUT_NEWLINE}]*$`);
const ONE_LINE = new RegExp(`^[^\\n${CONTROLS_BUT_NEWLINE}]*$`);
const A_CONTROL = new RegExp(`[${CONTROLS_BUT_NEWLINE}]`);
const A_CONTROL_OR_NEWLINE = new RegExp(`[\\n${CONTROLS_BUT_NEWLINE}]`);
/**
 * No character that shows as nothing (characters.ts: "Ng\u200binx" reads as
 * "Nginx" but is another name). The zero-width (non-)joiners and variation
 * selectors stay allowed: emoji and some scripts need them.
 */
const NO_INVISIBLE = new RegExp(`^[^${INVISIBLE}${INVISIBLE_BEYOND_BMP}]*$`, 'u');
const AN_INVISIBLE = new RegExp(`[${INVISIBLE}${INVISIBLE_BEYOND_BMP}]`, 'u');

/**
 * The short names of the characters the rules above refuse, where they have one: the C0 and C1
 * controls' abbreviations (ISO 6429), the bidirectional embeddings, overrides, isolates and marks,
 * and a few of the invisible ones.
 */
const C0_NAMES = 'NUL SOH STX ETX EOT ENQ ACK BEL BS TAB LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(' ');
const C1_NAMES = 'PAD HOP BPH NBH IND NEL SSA ESA HTS HTJ VTS PLD PLU RI SS2 SS3 DCS PU1 PU2 STS CCH MW SPA EPA SOS SGC SCI CSI ST OSC PM APC'.split(' ');
const OTHER_NAMES: Readonly<Record<string, string>> = {
  '\u007f': 'DEL',
  '\u00ad': 'SHY',
  '\u034f': 'CGJ',
  '\u061c': 'ALM',
  '\u200b': 'ZWSP',
  '\u200e': 'LRM',
  '\u200f': 'RLM',
  '\u2028': 'LINE SEPARATOR',
  '\u2029': 'PARAGRAPH SEPARATOR',
  '\u202a': 'LRE',
  '\u202b': 'RLE',
  '\u202c': 'PDF',
  '\u202d': 'LRO',
  '\u202e': 'RLO',
  '\u2060': 'WJ',
  '\u2066': 'LRI',
  '\u2067': 'RLI',
  '\u2068': 'FSI',
  '\u2069': 'PDI',
  '\ufeff': 'BOM',
};

/**
 * Which character a value holds, for a rule that refuses characters one cannot find by looking
 * (a control, an invisible one): `this holds U+2066 (LRI)`, `this holds U+3164`.
 */
function holds(found: string): string {
  const point = found.codePointAt(0) ?? 0;
  const name = point < 0x20 ? C0_NAMES[point] : point >= 0x80 && point < 0xa0 ? C1_NAMES[point - 0x80] : OTHER_NAMES[found];
  return `this holds U+${point.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''}`;
}

/** A character rule's message, naming the first character of the value that `finder` matches. */
function namingMessage(what: string, finder: RegExp, advice: string) {
  return { error: (issue: { input?: unknown }) => `${what}: ${holds(finder.exec(String(issue.input))?.[0] ?? '')}; ${advice}` };
}

const CONTROLS = 'must not contain control characters (a terminal escape, a carriage return, a bidirectional override)';
const CONTROLS_MESSAGE = namingMessage(CONTROLS, A_CONTROL, 'write plain text');
const ONE_LINE_MESSAGE = namingMessage(CONTROLS, A_CONTROL_OR_NEWLINE, 'write plain text on one line');
/** Says which one: a character that shows as nothing cannot be found in the file by looking. */
const INVISIBLE_MESSAGE = namingMessage(
  'must not contain invisible or format characters (a zero-width space, a soft hyphen, a bidirectional mark)',
  AN_INVISIBLE,
  'write plain text',
);

/** The rules whose message names a character, by their pattern (a zod issue's `pattern`), each with what finds the character. */
const CHARACTER_RULES: ReadonlyMap<string, RegExp> = new Map([
  [String(NO_CONTROLS), A_CONTROL],
  [String(ONE_LINE), A_CONTROL_OR_NEWLINE],
  [String(NO_INVISIBLE), AN_INVISIBLE],
]);

/**
 * The character a rule named in its message (see holds) refused in `value`, given the issue's
 * `pattern`, for parse.ts to point at it; undefined for any other rule.
 */
export function refusedCharacter(pattern: unknown, value: unknown): string | undefined {
  const finder = typeof pattern === 'string' && typeof value === 'string' ? CHARACTER_RULES.get(pattern) : undefined;
  return finder?.exec(value as string)?.[0];
}
/**
 * Well-formed Unicode: YAML's "\ud800" escape makes half of a surrogate pair,
 * which is no character. A terminal shows U+FFFD for it, and JSON that holds
 * it (`ports list --json`, the Grafana dashboard) is refused by strict parsers
 * (I-JSON, RFC 7493) and cannot be encoded again by Python.
 */
const WELL_FORMED = new RegExp(`^(?![\\s\\S]*(?:${LONE_SURROGATE}))`);
const UNICODE_MESSAGE =
  'must be well-formed Unicode: it holds half of a surrogate pair (a "\\ud800"-style escape alone), which is no character; write the character itself';
/**
 * No Unicode noncharacter (U+FDD0-U+FDEF, and the last two code points of
 * every plane, U+FFFE, U+FFFF, U+1FFFE, ...): Unicode keeps them for programs'
 * internal use, no font shows them, and YAML readers refuse U+FFFE and U+FFFF
 * outright (go-yaml: "control characters are not allowed"), so a name holding
 * one made alert rules that Prometheus would not load.
 */
const NO_NONCHARACTER = new RegExp(`^[^${NONCHARACTERS}${NONCHARACTERS_BEYOND_BMP}]*$`, 'u');
const NONCHARACTER_MESSAGE =
  'must not contain a Unicode noncharacter (U+FFFE, U+FFFF, U+FDD0-U+FDEF, ...): no page or terminal shows one, and YAML readers refuse U+FFFE and U+FFFF (Prometheus would not load the alert rules); write the character meant';
/**
 * Not blank: some character shows. White space, combining marks with nothing to combine with, the
 * joiners, and blanks that are no space (U+2800 BRAILLE PATTERN BLANK) show nothing. An empty string
 * is `min(1)`'s to refuse, and a character another rule refuses (a control, an invisible character
 * such as U+3164 HANGUL FILLER) is that rule's: each once. Property escapes: the schema loads with
 * the parser, not at every start.
 */
const NOT_BLANK = new RegExp(`^$|[^\\p{White_Space}\\p{M}\\u2800\\u200c\\u200d]|[${CONTROLS_BUT_NEWLINE}${INVISIBLE}${INVISIBLE_BEYOND_BMP}]`, 'u');
const BLANK_MESSAGE = 'must not be blank: no character of it shows (white space, combining marks alone, U+2800)';

const nonEmpty = z
  .string()
  .min(1, 'must not be empty')
  .regex(NOT_BLANK, `${BLANK_MESSAGE}; write the text, or leave the entry out`)
  .regex(NO_CONTROLS, CONTROLS_MESSAGE)
  .regex(NO_INVISIBLE, INVISIBLE_MESSAGE)
  .regex(WELL_FORMED, UNICODE_MESSAGE)
  .regex(NO_NONCHARACTER, NONCHARACTER_MESSAGE)
  .max(
    MAX_PROSE_LENGTH,
    `must be at most ${MAX_PROSE_LENGTH} characters: it is printed on the reference page; split it into purpose or notes lines, or say more in the page's own prose`,
  );
/** Text that is not digits alone (a details label: see there). */
const NOT_DIGITS_ONLY = /^(?![0-9]+$)/;
/** A name or label: one line of plain text. */
const label = z
  .string()
  .min(1, 'must not be empty')
  .regex(NOT_BLANK, `${BLANK_MESSAGE}; write the name`)
  .regex(ONE_LINE, ONE_LINE_MESSAGE)
  .regex(NO_INVISIBLE, INVISIBLE_MESSAGE)
  .regex(WELL_FORMED, UNICODE_MESSAGE)
  .regex(NO_NONCHARACTER, NONCHARACTER_MESSAGE);

/**
 * Grafana replaces `$var`, `${var}` and `[[var]]` in a dashboard's panel and
 * row titles with a variable's value (the dashboard's `$instance`, built-ins
 * such as `$__interval`), and has no escape for them (grafana/grafana#40603),
 * so a service name holding one would not be shown as written.
 */
const NO_GRAFANA_VARIABLE = /^(?!.*(?:\$[A-Za-z0-9_{]|\[\[[A-Za-z0-9_]+(?::[A-Za-z0-9_]+)?\]\]))/;
/** A name or title: it heads a table column, a section of the reference page and a dashboard row. */
const displayName = label.max(
  MAX_NAME_LENGTH,
  `must be at most ${MAX_NAME_LENGTH} characters; it heads tables and dashboard rows (say more in purpose or notes)`,
);
const serviceName = displayName.regex(
  NO_GRAFANA_VARIABLE,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${...}, named in the message
  'must not contain $word, ${...} or [[word]]: the Grafana dashboard would show a variable\'s value there (Grafana has no escape); write "$ word" or leave the $ out',
);

/**
 * A path in plain form, or one that a rule before it refuses (not absolute, a `..` segment, a
 * directory), so that each path gets one message: no empty (`//`) or `.` segment.
 */
const PLAIN_PATH = /^(?!\/)|^(?=.*(?:^|\/)\.\.(?:\/|$))|^(?=\/(?:.*\/)?\.?$)|^(?!.*\/\.?\/)/;

/**
 * A file on the machine: absolute, with no `..` segment, not a directory, in plain form. The
 * health check reads it under `--root`, so `../../etc/shadow` (or `/../../etc/shadow`) would reach
 * outside the tree it was asked to check. One file has one spelling: `/etc/redis//redis.conf`
 * passed the rule that two services may not set redis.conf's one `port` to two ports, as another
 * file than `/etc/redis/redis.conf`.
 */
const filePath = z
  .string()
  .max(MAX_PATH_LENGTH, `must be at most ${MAX_PATH_LENGTH} characters (Linux's PATH_MAX)`)
  .regex(/^\//, 'must be an absolute path')
  .regex(/^(?!.*(?:^|\/)\.\.(?:\/|$))/, 'must not contain a ".." segment; write the path without it')
  // A directory is no config file: the health check would read nothing there, and `ports snippet` would name it as the file to write.
  // (Only for an absolute path: a relative one is refused above, once.)
  .regex(/^(?!\/(?:.*\/)?\.?$)/, 'must name a file, not a directory (it ends in "/" or "/."); write the path of the file in it')
  .regex(PLAIN_PATH, {
    error: (issue) =>
      `must be in plain form, without an empty (//) or "." segment, so that each file has one spelling; write ${quoteValue(plainPath(String(issue.input)))}`,
  })
  // The health check names a place in a file FILE:LINE (its JSON `file` too): such a path would read as a line of another.
  .regex(/^(?!.*:\d+$)/, 'must not end in ":" and digits: reports name a line of a file as FILE:LINE, so this path would read as a line of another file')
  .regex(ONE_LINE, ONE_LINE_MESSAGE)
  .regex(NO_INVISIBLE, INVISIBLE_MESSAGE)
  .regex(WELL_FORMED, UNICODE_MESSAGE)
  .regex(NO_NONCHARACTER, NONCHARACTER_MESSAGE);

const processPattern = z
  .string()
  .regex(/^[^/\s]+$/, 'must be a process name or glob pattern (no slashes or spaces)')
  .regex(ONE_LINE, namingMessage(CONTROLS, A_CONTROL_OR_NEWLINE, 'write plain text'))
  .regex(NO_INVISIBLE, INVISIBLE_MESSAGE)
  .regex(WELL_FORMED, UNICODE_MESSAGE)
  .regex(NO_NONCHARACTER, NONCHARACTER_MESSAGE)
  // `[0-9]` is a set, as in the shell: one that is not well formed is said, never matched as its text (a protected
  // pattern that matched nothing left the process it meant open to a claim). Every `[` closed, as a pattern (so
  // schema.json says it too); a range that runs backwards, which no pattern can tell, by glob.ts.
  .regex(CLOSED_SETS, 'is not a well-formed glob: a [ is not closed by a ]: to match a [ itself, write [[]')
  .superRefine((glob, context) => {
    const problem = CLOSED_SETS.test(glob) ? globProblem(glob) : undefined; // an unclosed [ is said once, above
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `is not a well-formed glob: ${problem}` });
  });

/**
 * A list of `element`s, each listed once: a second `api` in `for:` (or `uvicorn` in `processes:`)
 * means nothing, was printed twice (`(for api, api)`), and may hide a typo of another item. Said
 * at the second, naming the first; an item `element` refuses is its to say, once. JSON Schema's
 * `uniqueItems` says the same in schema.json.
 */
function listedOnce(element: z.ZodType<string>, list: string) {
  return z
    .array(element)
    .superRefine((items, context) => {
      const first = new Map<string, number>();
      items.forEach((item, index) => {
        const earlier = first.get(item);
        if (earlier === undefined) first.set(item, index);
        else if (element.safeParse(item).success) {
          context.addIssue({
            code: 'custom',
            path: [index],
            message: `duplicate ${quoteValue(item)}: ${list}[${earlier}] already names it; remove one of the two`,
          });
        }
      });
    })
    .meta({ uniqueItems: true });
}

export const accessLevels = Object.freeze(['public', 'private', 'localhost', 'dev'] as const);
export const groups = Object.freeze(['production', 'monitoring', 'development'] as const);

export const ConfiguredBySchema = z.union([
  z.enum(['none', 'hardcoded']),
  z.strictObject({ env: envVar }),
  z.strictObject({
    // The file's name, shown in the reference page's Quick Reference table and by `ports list` (its path is config:).
    file: label.max(
      MAX_NAME_LENGTH,
      `must be at most ${MAX_NAME_LENGTH} characters: it is the file's name (e.g. grafana.ini), shown in the Quick Reference table and by \`ports list\`; its path is config:`,
    ),
    // It is written as a line of the file (`ports snippet grafana-ini`: `KEY = PORT`): `#http_port` would be
    // a comment there, `http_port = 1 ;` another value.
    key: z
      .string()
      .regex(
        /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/,
        'must be a setting name: letters, digits, _ . and - (no spaces, =, :, # or ;, which the file would read as syntax)',
      )
      .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
      .optional(),
  }),
]);

/** `text` matched literally in a regular expression (a unit name's dots are not "any character"). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export const SystemdSchema = z.strictObject({
  unit: z
    .string()
    .regex(/\.service$/, 'must be a service unit name ending in .service (claim-port runs in its ExecStartPre=)')
    // systemd's unit_name_is_valid(): these characters only. Said by the first other one, since "must be a unit name"
    // does not tell `my unit.service` what is wrong with it. A pattern, not a refinement, so that schema.json has it too.
    .regex(UNIT_NAME_CHARACTERS, {
      error: (issue) => {
        const bad = [...String(issue.input)].find((char) => !UNIT_NAME_CHARACTERS.test(char));
        const shown = bad === ' ' ? 'a space' : JSON.stringify(bad);
        return `must be a systemd unit name: ${shown} is not allowed (letters, digits and : _ . @ \\ - only; systemd-escape turns any text into one)`;
      },
    })
    // systemd skips hidden files when it lists a unit directory (hidden_or_backup_file()): `.api.service` is never loaded.
    .regex(/^(?!\.)/, 'must not start with a dot: systemd skips hidden files in its unit directories, so the unit would never be loaded')
    // systemd refuses a unit whose name before the @ is empty ("@x.service"): its drop-in would never be read.
    .regex(/^(?!@)/, 'must not start with @: a template instance is NAME@INSTANCE.service')
    // The reference page prints `sudo systemctl status UNIT ...`: a name starting with - is an option there.
    .regex(/^(?!-)/, 'must not start with "-": systemctl (and `sudo systemctl status` on the reference page) would read it as an option')
    // systemd also reads PREFIX-.service.d/ for every unit whose name before any @ starts with PREFIX-
    // (`dsa110-api.service` reads `dsa110-.service.d/`; an instance `a-b@i.service` reads `a-@i.service.d/`).
    // A unit named so would have its claim drop-in there, freeing its port before each of those units
    // started. A name that starts with - is the rule above's to report.
    .regex(
      /^(?:-|(?![^@]*-(?:@.+)?\.service$))/,
      'must not end in "-" before its @ or .service: systemd reads the drop-ins of NAME-.service for every unit whose name starts with NAME- (dsa110-.service.d/ for dsa110-api.service and every other dsa110-*.service), so its claim-port would free this port before each of them started; name the service\'s own unit',
    )
    // `ports systemd` writes this unit itself: a claim wired in it would be overwritten (claim: unit) or would run
    // before every health check (claim: drop-in). Its timer is no .service, so the first rule refuses that.
    .regex(
      new RegExp(`^(?!${escapeRegExp(HEALTH_SERVICE)}$)`),
      `must not be ${HEALTH_SERVICE}: \`ports systemd\` writes that unit itself, to run the port health check; name the service's own unit`,
    )
    // A template (`api@.service`: nothing between the first @ and the suffix, as systemd's unit_name_is_valid
    // reads it) is never started nor active itself ("Unit name api@.service is missing the instance name"),
    // and a drop-in in its NAME@.service.d/ applies to every instance: `systemctl start api@a api@b` would
    // have b's claim-port kill a, which holds the same port.
    .regex(
      /^(?![^@]+@\.service$)/,
      'must name an instance, NAME@INSTANCE.service (e.g. api@main.service), not the template NAME@.service: a template is never started or active itself, and its claim drop-in would apply to every instance, each freeing the port from the others',
    )
    .max(
      MAX_UNIT_NAME_LENGTH,
      `must be at most ${MAX_UNIT_NAME_LENGTH} characters (systemd takes 255, and its drop-in directory NAME.d must fit in a file name)`,
    ),
  claim: z
    .enum(['unit', 'drop-in'])
    .optional()
    .describe('Where ExecStartPre=+claim-port is wired: in the unit file itself or in a NAME.service.d/claim-port.conf drop-in'),
});

export const ConfigRefSchema = z.strictObject({
  kind: z.enum(configKinds).describe('What the file is: nginx-site, prometheus-yml, prometheus-args, grafana-datasource or redis-conf'),
  path: filePath.optional().describe("Where it is; default the service's config: for its own kind, else Debian's path"),
  upstream: id.optional().describe('The service it points at (nginx-site: proxy_pass; grafana-datasource: url)'),
});

// A duration as Prometheus reads one (model.ParseDuration: units y w d h m s ms, largest first, each at most once),
// greater than zero: `15s`, `1m`, `1m30s`. Eighteen digits at most: Prometheus refuses a duration past int64 nanoseconds.
const PROMETHEUS_DURATION = /^(?=.)(?:[0-9]{1,18}y)?(?:[0-9]{1,18}w)?(?:[0-9]{1,18}d)?(?:[0-9]{1,18}h)?(?:[0-9]{1,18}m)?(?:[0-9]{1,18}s)?(?:[0-9]{1,18}ms)?$/;
const scrapeInterval = z
  .string()
  .regex(PROMETHEUS_DURATION, 'must be a Prometheus duration: a number and a unit (y, w, d, h, m, s, ms), largest first, e.g. 15s, 1m or 1m30s')
  .regex(/^(?![0-9ywdhms]*$)|[1-9]/, 'must be longer than zero: Prometheus refuses a scrape interval of 0; write e.g. 15s')
  .refine((text) => !PROMETHEUS_DURATION.test(text) || durationMilliseconds(text) <= MAX_DURATION_MS, {
    message: 'must be at most 292 years (Prometheus counts a duration in int64 nanoseconds); write e.g. 15s',
  });
const UNIT_MS: Readonly<Record<string, number>> = { y: 365 * 86_400_000, w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const MAX_DURATION_MS = 9_223_372_036_854;
/** A Prometheus duration's length in milliseconds (`1m30s`: 90000). */
export function durationMilliseconds(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|[ywdhms])/g)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}

export const ServiceSchema = z.strictObject({
  id: id.describe('Stable identifier used by the tools (claim-port api, ports get api)'),
  name: serviceName.describe('Display name, as in the Quick Reference table and the Grafana dashboard'),
  title: displayName.optional().describe('Heading on the reference page; defaults to name'),
  group: z.enum(groups),
  port,
  protocol: z.enum(['HTTP', 'HTTPS', 'TCP', 'UDP']),
  transport: z.enum(['tcp', 'udp']).default('tcp'),
  access: z.enum(accessLevels).describe('public, private (private networks), localhost or dev (development only)'),
  accessNote: nonEmpty.optional(),
  configuredBy: ConfiguredBySchema.describe('none, hardcoded, { env: VAR } or { file: NAME, key?: KEY }'),
  robust: z.boolean().describe('Claims its port with claim-port before it starts'),
  robustNote: nonEmpty.optional(),
  config: filePath.optional().describe('Path of the configuration file (absolute)'),
  metrics: z
    .string()
    // A path as nginx's `location` line and Prometheus's metrics_path both read it as written: RFC 3986 path
    // characters without `;` (it ends an nginx directive) and `%` (Prometheus escapes it again); `?` and `#`
    // would be sent escaped, as part of the path, and braces, quotes, backslashes and spaces are nginx syntax.
    .regex(
      /^\/[A-Za-z0-9._~!$&'()*+,=:@/-]*$/,
      "must be a URL path starting with /: letters, digits and - . _ ~ ! $ & ' ( ) * + , = : @ / (no query, fragment, %-escape, space, quote, backslash or ; { })",
    )
    // nginx merges // and resolves . and .. in a request before it matches a location: the nginx-site snippet's
    // `location /api//metrics` (localhost only) never applied, and /api/metrics was proxied to anyone by `location /api/`.
    // Reported only for a path the rule above takes: one message each.
    .regex(
      /^(?!\/[A-Za-z0-9._~!$&'()*+,=:@/-]*$)|^(?!.*\/\/)(?!.*\/\.\.?(?:\/|$))/,
      "must not hold an empty (//), . or .. segment: nginx resolves them in a request before it matches a location, so the nginx-site snippet's localhost-only location for this path would never apply; write the path as the endpoint serves it, e.g. /metrics",
    )
    .optional()
    .describe('Path of its Prometheus metrics endpoint (protocol HTTP or HTTPS); `ports monitoring` writes a scrape job for it'),
  scrapeInterval: scrapeInterval
    .optional()
    .describe(`How often Prometheus scrapes its metrics (a Prometheus duration, e.g. 15s or 1m30s; default ${DEFAULT_SCRAPE_INTERVAL}); needs metrics`),
  systemd: SystemdSchema.optional(),
  // Each file once (rules.ts, which knows the path a config defaults to); an entry written twice is the least of it.
  configs: z
    .array(ConfigRefSchema)
    .meta({ uniqueItems: true })
    .optional()
    .describe('Configuration files that name ports; port-health-check holds each against the registry'),
  processes: listedOnce(processPattern, 'processes').min(1, 'must name at least one process').describe('Process names (globs) expected to hold the port'),
  command: nonEmpty.optional().describe('How developers start it'),
  details: z
    .record(
      label
        .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters: it heads a line of the reference page (say more in its value)`)
        // JavaScript lists an object's whole-number keys first, in numeric order: such a label would
        // not stay where the file puts it, on the reference page or in the Registry's `details`.
        .regex(NOT_DIGITS_ONLY, 'must not be digits alone: such labels are listed before all others, not where you wrote them; add a word, e.g. "Port 8080"'),
      nonEmpty,
    )
    .optional()
    .describe('Extra labelled facts for the reference page'),
  purpose: z.array(nonEmpty).default([]),
  notes: z.array(nonEmpty).default([]),
});

export const ReservedSchema = z.strictObject({
  id,
  name: displayName,
  port: port.optional().describe('A single reserved port (or use start and end)'),
  start: port.optional(),
  end: port.optional(),
  purpose: nonEmpty,
  for: listedOnce(id, 'for').default([]).describe('Services allowed to use these ports (e.g. by env override)'),
});

export const ClaimSchema = z.strictObject({
  timeoutSeconds: z
    .number({ error: 'must be a number of seconds written in plain decimal, e.g. 5 or 0.5' })
    // On the number (and in schema.json, for an editor); parse.ts judges the digits as written too (timeoutAsWritten).
    .min(MIN_CLAIM_TIMEOUT_SECONDS, TIMEOUT_TOO_SHORT)
    .max(MAX_CLAIM_TIMEOUT_SECONDS, TIMEOUT_TOO_LONG)
    .default(DEFAULT_CLAIM_TIMEOUT_SECONDS),
  protect: z
    .strictObject({
      processes: listedOnce(processPattern, 'processes').default([]).describe('Added to the built-in protected list (which always applies)'),
      unprotectBuiltin: listedOnce(
        z.enum(BUILTIN_PROTECTED_PROCESSES as [string, ...string[]], {
          error: `must be a built-in protected name: ${BUILTIN_PROTECTED_PROCESSES.join(', ')}`,
        }),
        'unprotectBuiltin',
      )
        .default([])
        .describe('Built-in protected names to remove (ports validate warns about each)'),
      pidsUpTo: z
        .number({ error: 'must be a whole number written in plain decimal' })
        .int('must be a whole number')
        .min(
          MIN_PROTECTED_PIDS_UP_TO,
          `must be between ${MIN_PROTECTED_PIDS_UP_TO} and ${MAX_PIDS_UP_TO} (PID 1, init, and PID 2, kthreadd, are always protected)`,
        )
        .max(MAX_PIDS_UP_TO, `must be between ${MIN_PROTECTED_PIDS_UP_TO} and ${MAX_PIDS_UP_TO}`)
        .default(MIN_PROTECTED_PIDS_UP_TO),
    })
    .default({ processes: [], unprotectBuiltin: [], pidsUpTo: MIN_PROTECTED_PIDS_UP_TO }),
});

export const RegistrySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1, 'must be 1'),
  claim: ClaimSchema.default({
    timeoutSeconds: DEFAULT_CLAIM_TIMEOUT_SECONDS,
    protect: { processes: [], unprotectBuiltin: [], pidsUpTo: MIN_PROTECTED_PIDS_UP_TO },
  }),
  services: z.array(ServiceSchema),
  reserved: z.array(ReservedSchema).default([]),
});

export type RegistryInput = z.input<typeof RegistrySchema>;
/** A registry's data as the schema gives it, validated: what `new Registry(data, source)` takes. */
export type RegistryData = z.output<typeof RegistrySchema>;
export type ServiceData = z.output<typeof ServiceSchema>;
export type ConfigRefData = z.output<typeof ConfigRefSchema>;
export type ReservedData = z.output<typeof ReservedSchema>;
/** Readonly, as the rest of a Service: a registry's `configuredBy` is frozen. */
export type ConfiguredBy = Readonly<z.output<typeof ConfiguredBySchema>>;
export type AccessLevel = (typeof accessLevels)[number];
export type Group = (typeof groups)[number];
