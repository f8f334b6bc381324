import type { Deps } from "../deps.ts";

/** Placeholder replaced by the demo seeder. */
export async function seedDemo(_deps: Deps): Promise<string> {
  throw new Error("demo is not built yet");
}
