/**
 * The shard protocol, version 2: what a shard prints on stdout (one JSON object per line) and
 * what a coordinator may write to its stdin. The same lines travel through every executor (a
 * local process's pipe, a container's log stream, a pod's log), so nothing here knows how a shard
 * was started. Every line is read through zod with bounds on every string and list, and a line
 * longer than MAX_LINE_BYTES is refused before it is parsed: a broken or hostile shard can make a
 * run fail, never make the coordinator allocate without limit or merge a half-read histogram.
 *
 * Histograms travel in the HdrHistogram compressed base64 form, so a merge adds buckets and the
 * merged quantiles are those of one histogram holding every sample.
 */
import { z } from 'zod';
import { ERROR_CLASSES } from '../load/error-class.js';
import type { ArmMeasurementsWire } from '../load/merge.js';

/** The protocol version every line carries; a coordinator refuses any other. */
export const SHARD_PROTOCOL_VERSION = 2;

/**
 * Bounds of the protocol. A line holds one second of every arm and endpoint; a mix at the
 * engine's bound (1 000 endpoints × 16 arms) of sparse per-second histograms stays well below.
 */
export const SHARD_LIMITS = {
  /** Longest line a shard may print or a coordinator reads, bytes. */
  maxLineBytes: 8 * 1024 * 1024,
  /** Longest encoded histogram, characters. */
  maxHistogramChars: 1024 * 1024,
  /** Most shards of one run. */
  maxShards: 256,
  /** Most arms in a line (the engine's target bound). */
  maxArms: 16,
  /** Most endpoints per arm (the engine's mix bound). */
  maxEndpoints: 1000,
  /** Most distinct status codes or error codes per arm. */
  maxCodes: 1000,
  /** Longest name (arm, endpoint, code) or URL, characters. */
  maxNameChars: 2048,
  /** Longest free text (an error message, a reason), characters. */
  maxTextChars: 16 * 1024,
  /** Most weight switches one interval line reports. */
  maxSwitchesPerLine: 16,
} as const;

const L = SHARD_LIMITS;
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const finite = z.number().finite();
const name = z.string().max(L.maxNameChars);
const text = z.string().max(L.maxTextChars);
const histogram = z.string().min(1).max(L.maxHistogramChars);
const shardIndex = z
  .number()
  .int()
  .nonnegative()
  .max(L.maxShards - 1);
const codeCounts = z.record(name, count).refine((r) => Object.keys(r).length <= L.maxCodes, {
  message: `expected at most ${L.maxCodes} codes`,
});

const CountersSchema = z.strictObject({
  sent: count,
  requests: count,
  responses: count,
  errors: count,
  late: count,
  dropped: count,
  errorsByClass: z.strictObject(
    Object.fromEntries(ERROR_CLASSES.map((c) => [c, count])) as Record<(typeof ERROR_CLASSES)[number], typeof count>,
  ),
  statusCodes: codeCounts,
  errorCodes: codeCounts,
});

const SlowestSchema = z.strictObject({
  limit: count,
  requests: z
    .array(
      z.strictObject({
        traceId: z.string().regex(/^[0-9a-f]{32}$/),
        latencyMs: finite,
        status: count,
        error: name.optional(),
        endpoint: name,
      }),
    )
    .max(L.maxEndpoints),
});

/** One arm's measurements with histograms encoded (the engine's ArmMeasurementsWire). */
export const ArmWireSchema = z.strictObject({
  arm: name,
  url: name,
  counters: CountersSchema,
  latency: histogram,
  service: histogram,
  endpoints: z.array(z.strictObject({ name, requests: count, errors: count, latency: histogram })).max(L.maxEndpoints),
  slowest: SlowestSchema.optional(),
});

/** The generator's own signals over a window (the engine's GeneratorSample). */
export const GeneratorSampleSchema = z.strictObject({
  due: count,
  sent: count,
  issuedBehind: count,
  late: count,
  dropped: count,
  waitMsSum: finite,
  waitMsMax: finite,
  completed: count,
  responses: count,
  // Absent from a shard of an older build: it counted none.
  peerFailures: count.default(0),
  serviceMsSum: finite,
  backlogMax: count,
  busyMax: count,
  connections: count,
  loopDelayP99Ms: finite,
  loopDelayMaxMs: finite,
  cpuPercent: finite,
  durationMs: finite,
  threads: count,
});

const ReasonSchema = z.strictObject({
  code: z.enum(['schedule-lag', 'busy-backlog', 'connection-cap', 'start-lag']),
  text,
});

const base = { v: z.literal(SHARD_PROTOCOL_VERSION), shard: shardIndex };

/** The first line: the shard is up, has its plan and waits for the start time (or the start command). */
export const HelloLineSchema = z.strictObject({
  ...base,
  type: z.literal('hello'),
  shards: z.number().int().min(1).max(L.maxShards),
  pid: count,
  startAtEpochMs: count,
  /** Requests this shard's slice of the schedule holds (open model). */
  scheduled: count.optional(),
});

/**
 * One measured second: per arm, everything finished since the previous line (the differences of
 * cumulative measurements, so consecutive lines add up exactly to the run), and the generator's
 * signals of the second with the generator-limit verdict.
 */
export const IntervalLineSchema = z.strictObject({
  ...base,
  type: z.literal('interval'),
  index: count,
  arms: z.array(ArmWireSchema).max(L.maxArms),
  generator: GeneratorSampleSchema.extend({
    startMs: finite,
    limited: z.boolean(),
    reasons: z.array(ReasonSchema).max(8),
  }),
  /**
   * The weight switches this shard was given since its previous line: each one's time, and how
   * long after that time its command came, ms (0: ahead of it, so the load switched between the
   * requests meant for either side of its time; later, the requests in between went by the
   * earlier weights).
   */
  switched: z
    .array(z.strictObject({ atEpochMs: count, lateMs: count }))
    .max(L.maxSwitchesPerLine)
    .optional(),
});

/** The last line of a shard that ran: its totals, equal to the sum of its interval lines. */
export const EndLineSchema = z.strictObject({
  ...base,
  type: z.literal('end'),
  /** Interval lines printed before this one. */
  intervals: count,
  /** Stopped before the plan ended (SIGTERM or a stop command). */
  stopped: z.boolean(),
  model: z.enum(['open', 'closed']),
  scheduled: count.optional(),
  sendWindowMs: finite,
  elapsedMs: finite,
  /** Responses within the planned measured window, per second of it. */
  completedPerSec: finite,
  windowMs: finite,
  arms: z.array(ArmWireSchema).max(L.maxArms),
  signals: GeneratorSampleSchema,
  limited: z.boolean(),
  reasons: z.array(ReasonSchema).max(8),
  eventLoopDelayP99Ms: finite,
  cpuPercent: finite,
  /** How late the shard's schedule began against the common start plus its phase, ms. */
  startLagMs: finite,
});

/** A shard that could not run or went wrong says why before it exits non-zero. */
export const ErrorLineSchema = z.strictObject({
  ...base,
  type: z.literal('error'),
  code: name,
  message: text,
});

/** Any line a shard prints. */
export const ShardLineSchema = z.discriminatedUnion('type', [
  HelloLineSchema,
  IntervalLineSchema,
  EndLineSchema,
  ErrorLineSchema,
]);

/** Any line a shard prints. */
export type ShardLine = z.infer<typeof ShardLineSchema>;
/** The hello line. */
export type HelloLine = z.infer<typeof HelloLineSchema>;
/** An interval line. */
export type IntervalLine = z.infer<typeof IntervalLineSchema>;
/** The end line. */
export type EndLine = z.infer<typeof EndLineSchema>;
/** An error line. */
export type ErrorLine = z.infer<typeof ErrorLineSchema>;

/** What a coordinator may tell a running shard on its stdin (the process executor's control channel). */
export const ShardCommandSchema = z.discriminatedUnion('type', [
  /**
   * New relative weights per arm from `atEpochMs` on (every shard switches at the same moment,
   * whatever each pipe's delay: a step boundary is a time), or at once without it.
   */
  z.strictObject({
    type: z.literal('weights'),
    weights: z.record(name, finite).refine((w) => Object.keys(w).length <= L.maxArms, {
      message: `expected at most ${L.maxArms} arms`,
    }),
    atEpochMs: count.optional(),
  }),
  /** Stop issuing; in-flight requests finish; then the end line. */
  z.strictObject({ type: z.literal('stop') }),
  /**
   * Start the schedule at `atEpochMs` (a plan file with `startOnCommand`): sent once every shard
   * has said hello, so a shard slow to come up moves the common start instead of starting late.
   */
  z.strictObject({ type: z.literal('start'), atEpochMs: count }),
]);

/** A command to a shard. */
export type ShardCommand = z.infer<typeof ShardCommandSchema>;

/** A protocol line or command that could not be read; `problems` name the fields. */
export class ShardProtocolViolation extends Error {
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = []) {
    super(message);
    this.name = 'ShardProtocolViolation';
    this.problems = problems;
  }
}

function parseWith<T>(schema: z.ZodType<T>, line: string, what: string): T {
  if (Buffer.byteLength(line) > L.maxLineBytes)
    throw new ShardProtocolViolation(`${what}: expected at most ${L.maxLineBytes} bytes, found a longer line`);
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    throw new ShardProtocolViolation(`${what}: expected one JSON object, found ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (typeof json === 'object' && json !== null && 'v' in json && json.v !== SHARD_PROTOCOL_VERSION) {
    throw new ShardProtocolViolation(
      `${what}: expected protocol version ${SHARD_PROTOCOL_VERSION}, found ${JSON.stringify(json.v)}`,
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`);
  throw new ShardProtocolViolation(`${what}: ${problems.join('; ')}`, problems);
}

/** Read one line a shard printed; throws ShardProtocolViolation naming the field. */
export function parseShardLine(line: string): ShardLine {
  return parseWith(ShardLineSchema, line, 'shard line');
}

/** Read one command line a coordinator wrote. */
export function parseShardCommand(line: string): ShardCommand {
  return parseWith(ShardCommandSchema, line, 'shard command');
}

/**
 * One line ready to print (with its newline). Refuses a line past the bound instead of printing
 * something the coordinator would refuse anyway.
 */
export function formatShardLine(line: ShardLine): string {
  const json = JSON.stringify(line);
  if (Buffer.byteLength(json) > L.maxLineBytes)
    throw new ShardProtocolViolation(
      `shard line "${line.type}": ${Buffer.byteLength(json)} bytes, expected at most ${L.maxLineBytes} (fewer endpoints or arms)`,
    );
  return `${json}\n`;
}

/** The engine's wire form of an arm, checked to fit the protocol's arm schema at compile time. */
export type ArmWire = z.infer<typeof ArmWireSchema>;
const _armWireFits = (w: ArmMeasurementsWire): ArmWire => w;
void _armWireFits;
