import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eq } from "drizzle-orm";
import { makeAgent, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { setLanguage } from "../accounts/accounts.service.ts";
import type { Actor } from "../accounts/index.ts";
import { searchConfigs, tickets } from "../db/schema/index.ts";
import type { Deps } from "../deps.ts";
import { watchCachedTables } from "../reactions.ts";
import { getLanguageDefaults, setLanguageDefaults } from "../settings/settings.service.ts";
import { addReply, listTickets } from "./tickets.service.ts";

/** The ids of the tickets `actor` finds with `q`. */
async function found(deps: Deps, actor: Actor, q: string): Promise<number[]> {
  const page = await listTickets(deps, actor, { q, limit: 100 });
  return page.tickets.map((t) => t.id);
}

async function customerSpeaking(deps: Deps, locale: string): Promise<Actor> {
  const customer = await makeCustomer(deps);
  await setLanguage(deps, customer, locale);
  return { ...customer, locale };
}

async function searchConfigOf(deps: Deps, id: number): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ config: tickets.searchConfig })
    .from(tickets)
    .where(eq(tickets.id, id));
  return row?.config;
}

describeEachDatabase("search in each ticket's language", (world) => {
  test("a German ticket is found by another form of its words", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await customerSpeaking(deps, "de");
    const ticket = await makeTicket(deps, customer, {
      title: "Zahlungen",
      description: "Die Rechnungen wurden nicht bezahlt",
    });
    assert.equal(await searchConfigOf(deps, ticket.id), "german");
    assert.ok((await found(deps, agent, "Rechnung")).includes(ticket.id));
    assert.ok((await found(deps, agent, "bezahlte Rechnung")).includes(ticket.id));
    assert.ok((await found(deps, customer, "Rechnung")).includes(ticket.id));
    assert.ok(!(await found(deps, agent, "Rechnung -bezahlt")).includes(ticket.id));
  });

  test("the same words in an English ticket stem as English, so the German form misses it", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const english = await makeTicket(deps, await makeCustomer(deps), {
      title: "Forwarded",
      description: "Die Rechnungen wurden nicht bezahlt",
    });
    assert.equal(await searchConfigOf(deps, english.id), "english");
    assert.ok(!(await found(deps, agent, "Rechnung")).includes(english.id));
    assert.ok((await found(deps, agent, "Rechnungen")).includes(english.id));
  });

  test("a French ticket, and the replies added to it, are found by other forms", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await customerSpeaking(deps, "fr");
    const ticket = await makeTicket(deps, customer, {
      title: "Paiement",
      description: "Les factures ne sont pas arrivées",
    });
    assert.equal(await searchConfigOf(deps, ticket.id), "french");
    assert.ok((await found(deps, agent, "facture")).includes(ticket.id));
    // A reply's words join the document stemmed as the ticket's, whoever wrote them.
    await addReply(deps, agent, ticket.id, { content: "Nous renverrons les documents demain." });
    assert.ok((await found(deps, agent, "document")).includes(ticket.id));
    assert.ok((await found(deps, customer, "facture document")).includes(ticket.id));
  });

  test("internal notes stem in the ticket's language, for staff only", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await customerSpeaking(deps, "es");
    const ticket = await makeTicket(deps, customer, {
      title: "Acceso",
      description: "No puedo entrar en mi cuenta",
    });
    await addReply(deps, agent, ticket.id, {
      content: "Las contraseñas caducaron ayer",
      internal: true,
    });
    assert.equal(await searchConfigOf(deps, ticket.id), "spanish");
    assert.ok((await found(deps, agent, "contraseña")).includes(ticket.id));
    assert.ok(!(await found(deps, customer, "contraseña")).includes(ticket.id));
    assert.ok((await found(deps, customer, "cuentas")).includes(ticket.id));
  });

  test("an English ticket still stems as before", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const customer = await customerSpeaking(deps, "en");
    const ticket = await makeTicket(deps, customer, {
      title: "Billing",
      description: "The invoices were not paid",
    });
    assert.equal(await searchConfigOf(deps, ticket.id), "english");
    assert.ok((await found(deps, agent, "invoice")).includes(ticket.id));
    assert.ok((await found(deps, customer, "invoicing")).includes(ticket.id));
  });

  test("Portuguese and Arabic tickets stem in their own configurations", async () => {
    const { deps } = world();
    const agent = await makeAgent(deps);
    const portuguese = await makeTicket(deps, await customerSpeaking(deps, "pt-BR"), {
      title: "Cobrança",
      description: "As faturas não foram pagas",
    });
    const arabic = await makeTicket(deps, await customerSpeaking(deps, "ar"), {
      title: "مشكلة في الدفع",
      description: "لم يتم دفع الفواتير",
    });
    assert.equal(await searchConfigOf(deps, portuguese.id), "portuguese");
    assert.equal(await searchConfigOf(deps, arabic.id), "arabic");
    assert.ok((await found(deps, agent, "fatura")).includes(portuguese.id));
    // "with the invoices" finds "the invoices": prefixes stripped, which `simple` would keep.
    assert.ok((await found(deps, agent, "بالفواتير")).includes(arabic.id));
  });

  test("a customer's search finds none of another customer's tickets", async () => {
    const { deps } = world();
    const mine = await customerSpeaking(deps, "de");
    const theirs = await customerSpeaking(deps, "de");
    const own = await makeTicket(deps, mine, { description: "Die Rechnungen fehlen" });
    const other = await makeTicket(deps, theirs, { description: "Die Rechnungen fehlen auch" });
    const result = await found(deps, mine, "Rechnung");
    assert.ok(result.includes(own.id));
    assert.ok(!result.includes(other.id));
  });

  test("a requester without a language of their own gets the instance's", async () => {
    const { deps } = world();
    const before = await getLanguageDefaults(deps.db);
    await setLanguageDefaults(deps.db, { ...before, locale: "de" });
    try {
      const ticket = await makeTicket(deps, await makeCustomer(deps), {
        description: "Die Rechnungen wurden nicht bezahlt",
      });
      assert.equal(await searchConfigOf(deps, ticket.id), "german");
      assert.ok((await found(deps, await makeAgent(deps), "Rechnung")).includes(ticket.id));
    } finally {
      await setLanguageDefaults(deps.db, before);
    }
  });

  test("the desk finds a German ticket by another form of its words", async () => {
    const { deps } = world();
    const customer = await customerSpeaking(deps, "de");
    await makeTicket(deps, customer, {
      title: "Offene Zahlungen",
      description: "Die Rechnungen wurden nicht bezahlt",
    });
    const b = await world().signedIn(await makeAgent(deps));
    const page = await b.get("/desk?queue=open&q=Rechnung", { "accept-language": "de" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Offene Zahlungen/);
  });
});

let searches: string[] = [];

/** The configurations in `search_configs`. */
async function inUse(deps: Deps): Promise<string[]> {
  const rows = await deps.db.select().from(searchConfigs).orderBy(searchConfigs.config);
  return rows.map((r) => r.config);
}

/** The statements that parsed a query while `run` ran. */
async function searchesDuring(run: () => Promise<unknown>): Promise<string[]> {
  searches = [];
  await run();
  return searches.filter((s) => s.includes("websearch_to_tsquery"));
}

/** How many configurations `statement` parses a staff search in (public and internal documents: two each). */
const parsings = (statement: string) =>
  (statement.match(/websearch_to_tsquery\(/g)?.length ?? 0) / 2;

describeEachDatabase(
  "a query is parsed only in the configurations in use",
  (world) => {
    let stop: (() => Promise<void>) | undefined;
    before(async () => {
      // As the server runs: the configurations in use are kept in memory.
      stop = await watchCachedTables({ db: world().deps.db, listen: world().listen });
    });
    after(async () => {
      await stop?.();
    });

    test("with English tickets only, a search is the one plain English match", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, await makeCustomer(deps), {
        description: "The stators hum",
      });
      assert.deepEqual(await inUse(deps), ["english"]);
      let ids: number[] = [];
      const [statement, ...more] = await searchesDuring(async () => {
        ids = await found(deps, agent, "stator");
      });
      assert.deepEqual(ids, [ticket.id]);
      assert.equal(more.length, 0);
      assert.equal(parsings(statement ?? ""), 1, statement);
      assert.doesNotMatch(statement ?? "", /search_config/);
    });

    test("the first German ticket adds German, and is then found by another form", async () => {
      const { deps } = world();
      const agent = await makeAgent(deps);
      const ticket = await makeTicket(deps, await customerSpeaking(deps, "de"), {
        description: "Die Rechnungen wurden nicht bezahlt",
      });
      assert.deepEqual(await inUse(deps), ["english", "german"]);
      let ids: number[] = [];
      const [statement] = await searchesDuring(async () => {
        ids = await found(deps, agent, "Rechnung");
      });
      assert.deepEqual(ids, [ticket.id]);
      assert.equal(parsings(statement ?? ""), 2, statement);
      assert.match(statement ?? "", /search_config/);
      // A second German ticket finds German known: nothing more to add.
      const next = await makeTicket(deps, await customerSpeaking(deps, "de"), {
        description: "Noch eine Rechnung",
      });
      assert.deepEqual(await inUse(deps), ["english", "german"]);
      assert.deepEqual((await found(deps, agent, "Rechnungen")).sort(), [ticket.id, next.id]);
    });
  },
  { logQuery: (sql) => searches.push(sql) },
);
