import { FleetFile } from "../fleet/config.ts";

/**
 * What the measurements run on: the network constants and timings of a
 * fleet file that sets none, read from its schema, so a changed default is
 * measured as it is and never copied here.
 */
export const COURSE_NETWORK = FleetFile.shape.network.parse(undefined);
export const COURSE_TIMING = FleetFile.shape.timing.parse(undefined);

/** Every timing of the course divided by `speed` (10: ten times the rates). */
export function timingAtSpeed(speed: number): FleetFile["timing"] {
  const t = COURSE_TIMING;
  const at = (s: number) => s / speed;
  return {
    heartbeat: at(t.heartbeat),
    gossip: at(t.gossip),
    views: at(t.views),
    audit: at(t.audit),
    epoch: at(t.epoch),
    rechoke: at(t.rechoke),
    optimistic: at(t.optimistic),
  };
}
