/**
 * moto's server: an SQS emulator independent of the embedded one, which
 * mirrors Amazon's validation more closely. Tests of AWS mode run against it
 * through AWS_ENDPOINT_URL_SQS (or `network.endpoint`), started on a free
 * port on loopback and killed at the end.
 *
 * How our queue URLs map there: moto finds a queue by the last segment of the
 * QueueUrl and takes the account from the caller's credentials (its own
 * 123456789012 unless MOTO_ACCOUNT_ID says otherwise), never from the URL. The
 * notebook's `https://sqs.us-east-1.amazonaws.com/194722398367/<name>` thus
 * reaches moto's queue `<name>` as it is; we start moto with
 * MOTO_ACCOUNT_ID=194722398367 so that the URLs it hands back name the same
 * account as ours.
 */
import { spawnSync, type Subprocess } from "bun";
import { onPath, pythonWith, type OutsidePart } from "./outside.ts";

export const MOTO_ACCOUNT = "194722398367";

/** Dummy credentials: moto checks none. */
export const MOTO_CREDENTIALS = { accessKeyId: "moto", secretAccessKey: "moto" };

function findMoto(): string | null {
  const exe = onPath("moto_server");
  if (exe === null) return null;
  // A shim on PATH (pyenv) may exist without the package behind it.
  const r = spawnSync([exe, "--help"], { stdout: "ignore", stderr: "ignore" });
  return r.exitCode === 0 ? exe : null;
}

let found: string | null | undefined;

/** moto's server, for describeWith. */
export function motoPart(): OutsidePart {
  if (found === undefined) found = findMoto();
  return { name: "moto's server (moto_server)", install: "pip install 'moto[server]'", found };
}

export interface Moto {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Forgets every queue and message (moto's own reset route). */
  reset(): Promise<void>;
  /** Freezes the server (SIGSTOP): it takes connections and answers nothing, as an SQS that hangs. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  /** Kills the server and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts moto_server on a free loopback port; resolves once it answers. */
export async function startMoto(boundMs = 20_000): Promise<Moto> {
  const exe = motoPart().found;
  if (exe === null) throw new Error("moto_server not found: pip install 'moto[server]'");
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([exe, "-H", "127.0.0.1", "-p", "0"], {
    env: { ...process.env, MOTO_ACCOUNT_ID: MOTO_ACCOUNT },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await proc.exited;
  };
  // Werkzeug announces the port it bound: "Running on http://127.0.0.1:PORT".
  let text = "";
  const announced = new Promise<number>((resolve, reject) => {
    const read = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        text += decoder.decode(chunk, { stream: true });
        const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      }
    };
    void read(proc.stdout);
    void read(proc.stderr);
    void proc.exited.then((code) => reject(new Error(`moto_server exited with ${code}: ${text.slice(-500)}`)));
  });
  const timeout = Bun.sleep(boundMs).then(() => {
    throw new Error(`moto_server did not announce a port within ${boundMs} ms: ${text.slice(-500)}`);
  });
  let port: number;
  try {
    port = await Promise.race([announced, timeout]);
  } catch (err) {
    await stop();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  // Ready once it answers a request, not just once it printed.
  const end = Date.now() + boundMs;
  for (;;) {
    const ok = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > end) {
      await stop();
      throw new Error(`moto_server on ${endpoint} did not answer within ${boundMs} ms`);
    }
    await Bun.sleep(50);
  }
  return {
    endpoint,
    port,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!r.ok) throw new Error(`moto reset: HTTP ${r.status}`);
    },
    pause: () => void proc.kill("SIGSTOP"),
    resume: () => void proc.kill("SIGCONT"),
    stop,
  };
}

/**
 * The environment a child process (a fleet, `fleet check`, a notebook node)
 * needs to reach moto as Amazon SQS: the endpoint override, dummy credentials
 * and the notebook's region.
 */
export function motoEnv(m: Moto): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SQS: m.endpoint,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_REGION: "us-east-1",
  };
}

let boto3: OutsidePart | undefined;

/** python3 with boto3 (moto's own dependency), for tests that act as a notebook node; looked up once. */
export function boto3Part(): OutsidePart {
  boto3 ??= pythonWith(["boto3"]);
  return boto3;
}
