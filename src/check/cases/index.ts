import type { CaseDef } from "../session.ts";
import { discoveryCases } from "./discovery.ts";
import { failureCases } from "./failure.ts";
import { livenessCases } from "./liveness.ts";
import { reputationChokingCases } from "./reputation-choking.ts";
import { sendsCases } from "./sends.ts";
import { transportCases } from "./transport.ts";
import { viewsAuditsCases } from "./views-audits.ts";

/** Every case, in the order reports list them. Ids are stable: autograders and docs/protocol.md refer to them. */
export const CASES: readonly CaseDef[] = [
  ...discoveryCases,
  ...livenessCases,
  ...transportCases,
  ...sendsCases,
  ...viewsAuditsCases,
  ...reputationChokingCases,
  ...failureCases,
];
