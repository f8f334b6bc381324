import type { FastifyInstance, LightMyRequestResponse } from "fastify";

/**
 * A minimal browser over app.inject: keeps cookies, follows nothing, and
 * fetches a CSRF token from a page before each form post, as a real form would carry.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly app: FastifyInstance) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies as {
      name: string;
      value: string;
      maxAge?: number;
      expires?: Date;
    }[]) {
      const expired =
        cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now());
      if (expired || cookie.value === "") this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(
      await this.app.inject({
        method: "GET",
        url,
        headers: { cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  /** The CSRF token from a page's form (by default one every visitor can open). */
  async csrf(from?: string): Promise<string> {
    const page = await this.get(from ?? (this.signedIn ? "/account" : "/login"));
    const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!match?.[1]) throw new Error(`no CSRF token on ${from} (status ${page.statusCode})`);
    return match[1];
  }

  get signedIn(): boolean {
    return [...this.cookies.keys()].some((k) => k.includes("tessera_session"));
  }

  /**
   * Posts a urlencoded form with a valid CSRF token (unless `_csrf` is given,
   * even empty); a list is sent as the same name repeated (checkboxes).
   */
  async post(
    url: string,
    fields: Record<string, string | string[]> = {},
    options: { csrfFrom?: string } = {},
  ) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ _csrf: await this.csrf(options.csrfFrom), ...fields }))
      for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          cookie: this.cookieHeader(),
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: body.toString(),
      }),
    );
  }

  /** Posts a urlencoded form whose names may repeat (checkboxes), with a valid CSRF token. */
  async postPairs(url: string, pairs: readonly (readonly [string, string])[]) {
    const body = new URLSearchParams([
      ["_csrf", await this.csrf()],
      ...pairs.map(([k, v]) => [k, v]),
    ]);
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          cookie: this.cookieHeader(),
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: body.toString(),
      }),
    );
  }

  /** Posts a multipart form (fields and files) with a valid CSRF token first. */
  async postMultipart(
    url: string,
    fields: Record<string, string>,
    files: { field: string; filename: string; content: Buffer | string; type?: string }[] = [],
    options: { csrfFrom?: string } = {},
  ) {
    const form = new FormData();
    form.set("_csrf", await this.csrf(options.csrfFrom));
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    for (const f of files) {
      form.append(
        f.field,
        new Blob([typeof f.content === "string" ? f.content : new Uint8Array(f.content)], {
          type: f.type ?? "application/octet-stream",
        }),
        f.filename,
      );
    }
    const request = new Request("http://localhost/", { method: "POST", body: form });
    const payload = Buffer.from(await request.arrayBuffer());
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          cookie: this.cookieHeader(),
          "content-type": request.headers.get("content-type") ?? "",
        },
        payload,
      }),
    );
  }

  async signIn(email: string, password: string): Promise<LightMyRequestResponse> {
    const response = await this.post("/login", { email, password });
    if (response.statusCode !== 303) throw new Error(`sign-in failed: ${response.statusCode}`);
    return response;
  }
}
