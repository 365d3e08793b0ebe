export * from "./ids.ts";
export * from "./time.ts";
export * from "./schema.ts";
export * from "./parse.ts";
export * from "./build.ts";
export * from "./queues.ts";
