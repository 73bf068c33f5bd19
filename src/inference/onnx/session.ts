/**
 * ONNX Runtime sessions: execution-provider choice, thread settings, and one session per model per process.
 *
 * Device: MEMEGUARD_DEVICE=cpu|cuda forces one; otherwise CUDA is tried when the installed onnxruntime-node lists
 * a cuda backend, and CPU is used (with a log line) when CUDA cannot start. Threads: MEMEGUARD_ORT_THREADS (intra-op,
 * default: ORT's choice), MEMEGUARD_ORT_INTER_THREADS (inter-op, default 1) and MEMEGUARD_ORT_SPIN
 * (idle threads spin-wait, default off). Graph optimisation: all.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import type { DeviceName } from '../types.js';

export type DevicePreference = DeviceName | 'auto';

export interface SessionSettings {
  device?: DevicePreference;
  /** Intra-op threads (0 or undefined: onnxruntime decides). */
  intraOpThreads?: number;
  interOpThreads?: number;
  /**
   * Whether idle intra-op threads spin-wait for the next piece of work (default here: false; onnxruntime's own
   * default is true). On a machine whose cores are shared with OCR workers and a second session, spinning burns the
   * cores the others need (see docs/PERFORMANCE.md).
   */
  allowSpinning?: boolean;
}

export interface ModelSession {
  session: ort.InferenceSession;
  /** The execution provider that runs this session. */
  device: DeviceName;
  /** The model file (for messages). */
  file: string;
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** The internal tensor made a graph output by src/inference/onnx/expose.ts, when one was. */
  exposed?: { tensor: string; width: number };
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new MemeguardError('USAGE', `${name}=${raw} is not a thread count (a whole number from 0 to 1024)`);
  }
  return n;
}

function booleanEnv(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new MemeguardError('USAGE', `${name}=${raw} is not one of 1, 0, true, false, on, off`);
}

/** Settings from the environment (MEMEGUARD_DEVICE, MEMEGUARD_ORT_THREADS, MEMEGUARD_ORT_INTER_THREADS, MEMEGUARD_ORT_SPIN). */
export function sessionSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SessionSettings {
  const raw = (env.MEMEGUARD_DEVICE ?? 'auto').trim().toLowerCase() || 'auto';
  if (raw !== 'cpu' && raw !== 'cuda' && raw !== 'auto') {
    throw new MemeguardError('USAGE', `MEMEGUARD_DEVICE=${env.MEMEGUARD_DEVICE} is not one of cpu, cuda, auto`);
  }
  return {
    device: raw,
    intraOpThreads: positiveInt('MEMEGUARD_ORT_THREADS', env.MEMEGUARD_ORT_THREADS),
    interOpThreads: positiveInt('MEMEGUARD_ORT_INTER_THREADS', env.MEMEGUARD_ORT_INTER_THREADS),
    allowSpinning: booleanEnv('MEMEGUARD_ORT_SPIN', env.MEMEGUARD_ORT_SPIN),
  };
}

/** Whether the installed onnxruntime-node lists a CUDA backend at all (usable or not). */
export function cudaListed(): boolean {
  try {
    return ort.listSupportedBackends().some((b) => b.name === 'cuda');
  } catch {
    return false;
  }
}

/**
 * Whether the CUDA provider library is installed next to the onnxruntime-node binding (the npm package lists a
 * cuda backend on Linux x64 even when its libraries were not downloaded). Checked before trying, so that a CPU-only
 * install does not print onnxruntime's native load error on every start.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const pkgDir = path.dirname(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    const binDir = path.join(pkgDir, 'bin');
    return readdirSync(binDir).some((napi) =>
      existsSync(path.join(binDir, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')),
    );
  } catch {
    return false;
  }
}

/** Set once CUDA failed to start in this process, so that later models go straight to the CPU. */
let cudaFailed: string | null = null;

function ortOptions(s: SessionSettings, device: DeviceName): ort.InferenceSession.SessionOptions {
  const spin = s.allowSpinning === true ? '1' : '0';
  return {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: s.intraOpThreads ?? 0,
    interOpNumThreads: s.interOpThreads ?? 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // Spinning off unless asked for: measured by `memeguard bench` (docs/PERFORMANCE.md), idle threads of one session
    // spinning on 2 cores made the other session's run 5-10x slower.
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
  };
}

async function tryCreate(model: Uint8Array, s: SessionSettings, device: DeviceName, file: string): Promise<ModelSession> {
  const session = await ort.InferenceSession.create(model, ortOptions(s, device));
  return { session, device, file, inputNames: session.inputNames, outputNames: session.outputNames };
}

function invalidModel(file: string, e: unknown): MemeguardError {
  const msg = (e as Error)?.message?.split('\n')[0] ?? String(e);
  return new MemeguardError('MODEL_INVALID', `onnxruntime cannot load ${file}: ${msg}`, {
    hint: 'the file is damaged or not an ONNX model; fetch it again with `memeguard models pull`',
    cause: e,
  });
}

/** Create a session for model bytes on the chosen/available device. */
export async function createModelSession(
  model: Uint8Array,
  file: string,
  settings: SessionSettings = sessionSettingsFromEnv(),
): Promise<ModelSession> {
  const pref = settings.device ?? 'auto';
  if (pref === 'auto' && cudaFailed === null && !(cudaListed() && cudaProviderInstalled())) {
    cudaFailed = 'the CUDA execution provider of onnxruntime-node is not installed';
    logger.info('using CPU for ONNX models', { reason: cudaFailed });
  }
  if (pref === 'cuda' && !cudaProviderInstalled()) {
    throw new MemeguardError('USAGE', `MEMEGUARD_DEVICE=cuda, but this onnxruntime-node has no CUDA execution provider installed`, {
      hint: 'install onnxruntime-node with its CUDA libraries on a machine with an NVIDIA GPU, or unset MEMEGUARD_DEVICE',
    });
  }
  const wantCuda = pref === 'cuda' || (pref === 'auto' && cudaFailed === null);
  if (wantCuda) {
    try {
      const s = await tryCreate(model, settings, 'cuda', file);
      logger.info('onnx session on CUDA', { file });
      return s;
    } catch (e) {
      const why = ((e as Error)?.message ?? String(e)).split('\n')[0];
      if (pref === 'cuda') {
        throw new MemeguardError('USAGE', `MEMEGUARD_DEVICE=cuda, but CUDA cannot run ${file}: ${why}`, {
          hint: 'install the CUDA build of onnxruntime-node and its CUDA libraries, or unset MEMEGUARD_DEVICE',
          cause: e,
        });
      }
      cudaFailed = why;
      logger.info('CUDA execution provider unavailable, using CPU', { file, reason: why });
    }
  }
  try {
    const s = await tryCreate(model, settings, 'cpu', file);
    logger.debug('onnx session on CPU', { file, intraOpThreads: settings.intraOpThreads ?? 'auto' });
    return s;
  } catch (e) {
    throw invalidModel(file, e);
  }
}

const cache = new Map<string, Promise<ModelSession>>();

/**
 * One session per model per process: `key` names the model and its variant (file + exposed outputs); the first
 * caller creates it via `make`, later callers share it. A failed creation is not cached.
 */
export function sharedSession(key: string, make: () => Promise<ModelSession>): Promise<ModelSession> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Release every shared session (Engine.close, tests). */
export async function releaseSharedSessions(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  await Promise.all(all.map((p) => p.then((s) => s.session.release()).catch(() => undefined)));
}

/** Run a session and turn runtime failures into a MemeguardError naming the model file. */
export async function runSession(
  s: ModelSession,
  feeds: Record<string, ort.Tensor>,
  outputs: string[],
): Promise<Record<string, ort.Tensor>> {
  try {
    return await s.session.run(feeds, outputs);
  } catch (e) {
    const msg = ((e as Error)?.message ?? String(e)).split('\n')[0];
    throw new MemeguardError('MODEL_INVALID', `running ${s.file} failed: ${msg}`, { cause: e });
  }
}

export { ort };
