import { describe, expect, test } from "bun:test";
import { createLogSink, createNodeLogger, lineSplitter, LOG_LINE_CHARS_MAX, readLines } from "../../src/fleet/logs.ts";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("credentials never reach a log line", () => {
  test.each<[string, Record<string, unknown>]>([
    ["an SDK config", { config: { credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET } } }],
    ["credentials at the top", { credentials: { secretAccessKey: SECRET } }],
    ["a child's environment", { child: { env: { AWS_SECRET_ACCESS_KEY: SECRET } } }],
    ["a bare secret key field", { secretAccessKey: SECRET }],
  ])("%s", (_name, fields) => {
    const out: string[] = [];
    createNodeLogger("bot-alpha", "info", (l) => void out.push(l)).info(fields, "starting");
    expect(out.length).toBe(1);
    expect(out[0]).not.toContain(SECRET);
    expect(out[0]).toContain("[Redacted]");
    expect(JSON.parse(out[0]!).node).toBe("bot-alpha");
  });

  test("nor a child's free text", () => {
    const out: string[] = [];
    const sink = createLogSink({ json: true, nodes: ["sam"], secrets: [SECRET], out: (s) => void out.push(s) });
    sink.writeText("sam", "stdout", `my key is ${SECRET}`);
    expect(JSON.parse(out[0]!)).toMatchObject({ node: "sam", stream: "stdout", msg: "my key is [Redacted]" });
  });
});

describe("the sink", () => {
  test.each<[string, "stdout" | "stderr", "info" | "warn" | "error", boolean]>([
    ["stdout at info passes info", "stdout", "info", true],
    ["stdout at warn is held back", "stdout", "warn", false],
    ["stderr at warn passes", "stderr", "warn", true],
    ["stderr at error is held back", "stderr", "error", false],
  ])("free text per node level: %s", (_name, stream, level, shown) => {
    const out: string[] = [];
    const sink = createLogSink({ json: true, nodes: ["sam"], levelOf: () => level, out: (s) => void out.push(s) });
    sink.writeText("sam", stream, "hello");
    expect(out.length).toBe(shown ? 1 : 0);
  });

  test("JSON mode passes pino lines through as they are", () => {
    const out: string[] = [];
    const sink = createLogSink({ json: true, nodes: ["a"], out: (s) => void out.push(s) });
    sink.write('{"level":30,"node":"a","msg":"x"}');
    expect(out).toEqual(['{"level":30,"node":"a","msg":"x"}\n']);
  });

  test("pretty mode gives each node its own color and reads events as words", () => {
    const out: string[] = [];
    const sink = createLogSink({ json: false, nodes: ["a", "b"], out: (s) => void out.push(s) });
    sink.write(JSON.stringify({ level: 30, time: 0, node: "a", msg: "peer_flagged", event: { type: "peer_flagged", peer: "b", score: 0.41 } }));
    sink.write(JSON.stringify({ level: 30, time: 0, node: "b", msg: "hi" }));
    sink.write("not json at all");
    const colorOf = (line: string, node: string) => line.match(new RegExp(`(\\x1b\\[\\d+m)${node}\\s`))?.[1];
    expect(colorOf(out[0]!, "a")).toBeDefined();
    expect(colorOf(out[1]!, "b")).toBeDefined();
    expect(colorOf(out[0]!, "a")).not.toBe(colorOf(out[1]!, "b"));
    expect(out[0]).toContain("flagged b (score 0.41)");
    expect(out[2]).toBe("not json at all\n");
  });
});

describe("line splitting of child output", () => {
  test.each<[string, string[], string[]]>([
    ["whole lines", ["a\nb\n"], ["a", "b"]],
    ["a line across chunks", ["hel", "lo\nwor", "ld"], ["hello", "world"]],
    ["CRLF", ["a\r\nb\r\n"], ["a", "b"]],
    ["a runaway line is cut at the bound", ["x".repeat(LOG_LINE_CHARS_MAX + 10)], ["x".repeat(LOG_LINE_CHARS_MAX), "x".repeat(10)]],
  ])("%s", (_name, chunks, want) => {
    const got: string[] = [];
    const s = lineSplitter((l) => void got.push(l));
    for (const c of chunks) s.push(c);
    s.end();
    expect(got).toEqual(want);
  });
});

describe("reading a child's stream line by line", () => {
  const streamOf = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        const enc = new TextEncoder();
        for (const chunk of chunks) c.enqueue(enc.encode(chunk));
        c.close();
      },
    });
  test.each<[string, string[], number | undefined, string[]]>([
    ["lines across chunks, the last without a newline", ["a\nb", "c\nd"], undefined, ["a", "bc", "d"]],
    ["a runaway line is cut at a bound of its own", ["abcdef"], 4, ["abcd", "ef"]],
  ])("%s", async (_name, chunks, charsMax, want) => {
    const got: string[] = [];
    await readLines(streamOf(chunks), (l) => void got.push(l), charsMax);
    expect(got).toEqual(want);
  });

  test("a character split between chunks is decoded whole", async () => {
    const bytes = new TextEncoder().encode("é\n");
    const got: string[] = [];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 1));
        c.enqueue(bytes.slice(1));
        c.close();
      },
    });
    await readLines(stream, (l) => void got.push(l));
    expect(got).toEqual(["é"]);
  });
});

