import type { ComponentChildren } from "preact";

/**
 * The two sections of a page listing things staff keep shared or as their own
 * (canned replies, macros): the shared ones, with a hint for non-admins that
 * admins keep them, then the reader's own; each with its empty-state line.
 */
export function SharedAndOwn<T extends { shared: boolean }>({
  id,
  items,
  admin,
  text,
  list,
}: {
  /** Prefix of the sections' heading ids (`<id>-shared`, `<id>-mine`). */
  id: string;
  items: readonly T[];
  admin: boolean;
  text: { shared: string; mine: string; noneShared: string; noneMine: string; byAdmins: string };
  list: (items: readonly T[]) => ComponentChildren;
}) {
  const shared = items.filter((item) => item.shared);
  const mine = items.filter((item) => !item.shared);
  return (
    <>
      <section aria-labelledby={`${id}-shared`}>
        <h2 id={`${id}-shared`}>{text.shared}</h2>
        {shared.length === 0 ? <p class="muted">{text.noneShared}</p> : list(shared)}
        {!admin && <p class="hint">{text.byAdmins}</p>}
      </section>
      <section aria-labelledby={`${id}-mine`}>
        <h2 id={`${id}-mine`}>{text.mine}</h2>
        {mine.length === 0 ? <p class="muted">{text.noneMine}</p> : list(mine)}
      </section>
    </>
  );
}
