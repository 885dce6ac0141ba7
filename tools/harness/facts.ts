// Where a figure came from, printed with every report: the machine (others
// share it), and the commit with any uncommitted change to the measured src/.
import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';

/** The machine a run measured on. */
export interface Machine {
  node: string;
  cores: number;
  cpu: string;
  os: string;
  memoryGiB: number;
  /** 1-minute load average when the run started. */
  load: number;
}

/** The source that was measured: the commit, and files under src/ that differed from it. */
export interface Source {
  commit: string;
  dirty: string[];
}

/**
 * The current machine's facts.
 * @example machineFacts().cores // 2
 */
export function machineFacts(): Machine {
  return {
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg()[0] ?? 0,
  };
}

/**
 * The git commit and the uncommitted files under src/ (the Worker that was bundled).
 * @example sourceFacts() // { commit: '0c49357…', dirty: [] }
 */
export function sourceFacts(): Source {
  const git = (...args: string[]) => {
    try {
      // Not trim(): a porcelain line starts with a space when only the work tree changed.
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
    } catch {
      return '';
    }
  };
  const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean);
  return { commit: git('rev-parse', 'HEAD') || 'unknown', dirty: dirty.map((line) => line.slice(3)) };
}

/**
 * Both in one line.
 * @example describeFacts(machineFacts(), sourceFacts()) // 'node v20.20.2, 2 cores (AMD EPYC), 24 GiB, linux x64, load 0.59 at start; source 5a449b2… (src/ clean)'
 */
export function describeFacts(m: Machine, s: Source): string {
  const source = s.dirty.length ? ` + uncommitted ${s.dirty.join(', ')}` : ' (src/ clean)';
  return `node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, load ${m.load.toFixed(2)} at start; source ${s.commit}${source}`;
}
