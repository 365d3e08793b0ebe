/** Help texts name the commands as users type them: `bun run fleet up`, not the file behind the script. */
import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

const CASES: Array<[string[], string]> = [
  [["--help"], "bun run fleet"],
  [["fleet", "--help"], "bun run fleet up"],
  [["fleet", "up", "--help"], "bun run fleet up"],
  [["fleet", "status", "--help"], "bun run fleet status"],
  [["fleet", "send", "--help"], "bun run fleet send bot-alpha HELLO --from hugo"],
  [["fleet", "peek", "--help"], "bun run fleet peek"],
  [["fleet", "queues", "--help"], "bun run fleet queues --purge hugo --yes"],
  [["sim", "--help"], "bun run sim"],
  [["bench", "--help"], "bun run bench"],
];

test.each(CASES.map(([args, want]) => [args.join(" "), args, want] as const))("%s names `bun run ...`", (_name, args, want) => {
  const r = Bun.spawnSync([process.execPath, join(ROOT, "src", "cli.ts"), ...args], { cwd: ROOT, env: { ...process.env, COLUMNS: "200" } });
  const text = r.stdout.toString() + r.stderr.toString();
  expect(r.exitCode).toBe(0);
  expect(text).toContain(want);
  expect(text).not.toContain("src/cli.ts");
});
