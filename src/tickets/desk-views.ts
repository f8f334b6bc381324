import type { ComponentChildren } from "preact";
import type { Actor } from "../accounts/index.ts";
import type { PageContext } from "../platform/views/context.ts";
import type { DeskFilters } from "./desk-query.ts";

/** A saved search as the desk lists it (src/saved-views): the desk's filters, named. */
export interface DeskView {
  id: number;
  name: string;
  /** Shared with all staff; else the viewer's own. */
  shared: boolean;
  filters: DeskFilters;
}

/**
 * What saved views add to the desk, handed to `deskPages` when the app is
 * composed (src/app.ts): tickets know no such feature, they list and count.
 */
export interface DeskViewsExtension {
  /** The views `actor` may use, in the order the desk lists them. */
  list(actor: Actor): Promise<readonly DeskView[]>;
  /** The views in the desk's side bar, each with its count (none: not counted). */
  nav(input: {
    ctx: PageContext;
    views: readonly DeskView[];
    counts: ReadonlyMap<number, number>;
    current: DeskFilters;
  }): ComponentChildren;
  /** The "Save this search" form for the filters shown. */
  saveForm(input: { ctx: PageContext; filters: DeskFilters }): ComponentChildren;
}
