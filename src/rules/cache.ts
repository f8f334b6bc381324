import { Watched } from "../db/watched.ts";
import * as repo from "./rules.repo.ts";

/**
 * The enabled triggers, kept in memory on a node that listens for rule
 * changes (src/db/watched.ts), so a write to a ticket pays nothing for
 * triggers that do not match. Every change to the rules goes through
 * `enabledTriggers.change` (rules.service.ts).
 */
export const enabledTriggers = new Watched("tessera_rules", repo.allEnabledTriggers);
