// Commands as a user runs them (`edge-auth …`, `npm run dev`, `wrangler dev`):
// run to completion, or started in a process group of their own and watched,
// and what is left of them afterwards, read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What a finished command printed, and how it ended. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how to run a command. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to its stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs a command to completion; never rejects for a non-zero exit (the test asserts the code).
 *
 * @example
 * const { code, stdout } = await runCommand('node', ['dist/cli.js', '--help']);
 */
export function runCommand(file: string, args: string[], options: RunOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running command in a process group of its own, as a terminal would start it. */
export interface Running {
  child: ChildProcess;
  /** Its process group (its pid): what Ctrl-C signals as a whole. */
  pgid: number;
  stdout(): string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a long-running command in its own process group, collecting its output.
 *
 * @example
 * const local = startCommand('npx', ['edge-auth', 'local'], { cwd: app });
 * await until('the block', () => local.stdout().includes('NEON_FETCH_ENDPOINT'));
 */
export function startCommand(file: string, args: string[], options: Omit<RunOptions, 'input'> = {}): Running {
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pgid: child.pid as number, stdout: () => stdout, output: () => output, exited };
}

/**
 * Polls `probe` every 50 ms until it returns something truthy; fails after `timeoutMs` naming `what`.
 *
 * @example const line = await until('the ready line', () => run.output().match(/Ready on (\S+)/)?.[1]);
 */
export async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A process on the machine. */
export interface Proc {
  pid: number;
  pgid: number;
  /** The state letter from /proc/<pid>/stat: 'Z' is a zombie, dead already and only waiting to be reaped. */
  state: string;
  cmdline: string;
}

/**
 * Every process on the machine, from /proc (command lines never truncated, unlike `ps`).
 * @example processes().filter((p) => p.cmdline.includes('workerd'))
 */
export function processes(): Proc[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name, which may itself contain spaces and parentheses.
        const [state = '', , pgrp = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        return [{ pid: Number(pid), pgid: Number(pgrp), state, cmdline }];
      } catch {
        return []; // ended meanwhile
      }
    });
}

/**
 * The live (not zombie) processes of a process group.
 * @example expect(groupMembers(run.pgid)).toEqual([]);
 */
export function groupMembers(pgid: number): Proc[] {
  return processes().filter((p) => p.pgid === pgid && p.state !== 'Z');
}

/**
 * Kills every process of a group, ignoring a group that is gone already (cleanup after a failure).
 * @example afterAll(() => killGroup(run.pgid));
 */
export function killGroup(pgid: number) {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
