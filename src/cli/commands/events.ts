// mreg events: the registry's changes as events, oldest first — what webhooks and the daemon's event stream carry.
import { EVENT_TYPES, isEventType, type EventType } from '../../events/types.js';
import { describeEvent } from '../../events/describe.js';
import { readEvents, type ReadEventsOptions } from '../../events/read-events.js';
import { defineCommand, repoDir, UsageError, type GlobalArgs } from '../options.js';
import { humanTime, outputFor } from '../output.js';

interface Args extends GlobalArgs {
  since?: string;
  until?: string;
  model?: string;
  type?: string[];
  follow?: boolean;
  branch?: string;
}

export const eventsCommand = defineCommand<Args>({
  command: 'events',
  describe: 'The registry changes as events, oldest first (--json: one object a line); --follow waits for more',
  builder: (y) =>
    y
      .option('since', {
        type: 'string',
        describe: 'After this event id, ref (REF..tip) or time (ISO-8601 or epoch ms)',
        requiresArg: true,
      })
      .option('until', { type: 'string', describe: 'Up to this ref instead of the branch tip', requiresArg: true })
      .option('model', {
        type: 'string',
        describe: 'Only events of this model (a rename counts for both names)',
        requiresArg: true,
      })
      .option('type', {
        type: 'string',
        array: true,
        describe: `Only these event types (${EVENT_TYPES.length} kinds, e.g. model_version.stage_transitioned)`,
        requiresArg: true,
      })
      .option('follow', { type: 'boolean', alias: 'f', describe: 'Keep printing events as the branch moves' })
      .option('branch', {
        type: 'string',
        describe: 'Events of this branch (default: the checked-out branch)',
        requiresArg: true,
      })
      .check((a) => {
        if (a.follow && a.until !== undefined) throw new UsageError('--follow and --until cannot be combined.');
        for (const t of (a.type as string[] | undefined) ?? [])
          if (!isEventType(t)) throw new UsageError(`Unknown event type '${t}'; one of: ${EVENT_TYPES.join(', ')}.`);
        return true;
      })
      .example('$0 events --since main~20', 'what the last 20 commits changed')
      .example('$0 events --follow --json --model fraud', "fraud's events as they happen, one JSON object a line"),
  async handler(a) {
    const out = outputFor(a);
    const opts: ReadEventsOptions = {};
    if (a.since !== undefined) opts.since = a.since;
    if (a.until !== undefined) opts.until = a.until;
    if (a.model !== undefined) opts.model = a.model;
    if (a.type?.length) opts.types = a.type as EventType[];
    if (a.branch !== undefined) opts.branch = a.branch;
    const stop = new AbortController();
    if (a.follow) {
      opts.follow = true;
      opts.signal = stop.signal;
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    }
    // Lines are written in batches (a write per event costs a system call each, which is much of the time of a
    // long listing), and at least every 10 ms, so --follow stays prompt.
    let batch = '';
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (batch) out.print(batch);
      batch = '';
    };
    try {
      for await (const e of readEvents(repoDir(a), opts)) {
        batch +=
          (out.json
            ? JSON.stringify(e)
            : `${humanTime(e.time)}  ${e.commit.slice(0, 10)}  ${e.author.name || '(rewind)'}  ${describeEvent(e)}`) +
          '\n';
        if (batch.length >= 64 * 1024) flush();
        else timer ??= setTimeout(flush, 10);
      }
    } finally {
      flush();
    }
  },
});
