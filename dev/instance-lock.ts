// One `npm run dev` per port: a small record under the user's runtime
// directory, created atomically by the instance that owns the port and
// validated against a live process, so a second `npm run dev` can name the
// first one (its URL and pid) instead of failing halfway through starting.
// `npm run token` reads the same record to find the running instance's database.
import { randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a running `npm run dev` records about itself. */
export interface DevInstance {
  pid: number;
  /** The process's start time from /proc (clock ticks since boot); tells a reused pid from the owner. */
  startTime: string | null;
  port: number;
  url: string;
  /** The database the Worker uses (it may carry a password: the record is readable by this user only). */
  databaseUrl?: string;
  /** The Worker's random JWT_SECRET for this run, so `npm run token` signs what it accepts. */
  jwtSecret?: string;
}

/** The lock this process holds; `release()` removes the record only while it is still ours. */
export interface InstanceLock {
  readonly path: string;
  /** Adds fields (the database URL once known) to the record, atomically. */
  update(fields: Partial<Pick<DevInstance, 'databaseUrl' | 'jwtSecret'>>): void;
  release(): void;
}

/**
 * The per-user directory of the records: `$XDG_RUNTIME_DIR/edge-auth`, else `<tmpdir>/edge-auth-<uid>`.
 * Created 0700; refused when it is a symlink, not ours, or open to others — in a shared /tmp another
 * user could otherwise plant a record (or a link) there.
 */
export function runtimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  const dir = process.env.XDG_RUNTIME_DIR
    ? join(process.env.XDG_RUNTIME_DIR, 'edge-auth')
    : join(tmpdir(), `edge-auth-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} must be a directory owned by this user with mode 0700; remove it and retry`);
  }
  return dir;
}

/** Where the record of the instance on `port` lives. */
export function instanceRecordPath(port: number): string {
  return join(runtimeDir(), `dev-${port}.json`);
}

/** The start time of `pid` (field 22 of /proc/<pid>/stat), or null where there is no /proc. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; the fields after it do not.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the process that wrote `record` is still running (and is not a newer process with its pid). */
function isAlive(record: DevInstance): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTimeOf(record.pid);
  return record.startTime === null || now === null || now === record.startTime;
}

function readRecord(path: string): DevInstance | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DevInstance>;
    if (typeof parsed.pid !== 'number' || typeof parsed.port !== 'number' || typeof parsed.url !== 'string') {
      return undefined;
    }
    return { startTime: null, ...parsed } as DevInstance;
  } catch {
    return undefined;
  }
}

/**
 * The live `npm run dev` on `port`, if any.
 * @example const running = runningInstance(8787); running?.databaseUrl
 */
export function runningInstance(port: number): DevInstance | undefined {
  const record = readRecord(instanceRecordPath(port));
  return record && isAlive(record) ? record : undefined;
}

/** Writes `record` to a private temp file beside `path` and returns its name. */
function writeTemp(path: string, record: DevInstance): string {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
  return temp;
}

/**
 * Claims `port` for this process. Returns `{ lock }`, or `{ holder }` when a live instance already
 * has it. A record left by a process that is gone (killed, crashed) is replaced.
 *
 * @example
 * const claim = acquireInstanceLock(8787, 'http://127.0.0.1:8787');
 * if ('holder' in claim) throw new Error(`already running (pid ${claim.holder.pid})`);
 */
export function acquireInstanceLock(
  port: number,
  url: string,
): { lock: InstanceLock } | { holder: DevInstance } {
  const path = instanceRecordPath(port);
  let record: DevInstance = { pid: process.pid, startTime: startTimeOf(process.pid), port, url };
  const ours = (found: DevInstance | undefined) =>
    found?.pid === record.pid && found.startTime === record.startTime;

  // link() publishes the complete record atomically and fails if one exists: no reader ever sees a
  // half-written file, and of two instances racing for the port exactly one wins.
  for (let attempt = 0; attempt < 3; attempt++) {
    const temp = writeTemp(path, record);
    try {
      linkSync(temp, path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = readRecord(path);
      if (existing && isAlive(existing)) return { holder: existing };
      // Stale (or unreadable, e.g. from a crash): remove it unless it changed since it was read.
      const again = readRecord(path);
      if (JSON.stringify(again) === JSON.stringify(existing)) {
        try {
          unlinkSync(path);
        } catch {
          // someone else removed it first
        }
      }
      if (attempt === 2) throw new Error(`could not claim ${path}; remove it if no npm run dev is running`);
    } finally {
      unlinkSync(temp);
    }
  }

  const lock: InstanceLock = {
    path,
    update(fields) {
      if (!ours(readRecord(path))) return;
      record = { ...record, ...fields };
      renameSync(writeTemp(path, record), path); // atomic replace: readers see the old or the new record
    },
    release() {
      if (!ours(readRecord(path))) return; // never remove another instance's record
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
  return { lock };
}
