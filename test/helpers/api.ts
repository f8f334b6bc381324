import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FastifyInstance } from "fastify";
import { createToken } from "../../src/tokens/tokens.service.ts";
import type { TestUser } from "./factories.ts";
import type { World } from "./world.ts";

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked against the OpenAPI document, then read freely
type Body = any;

export interface ApiResponse<T = Body> {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: T;
}

type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components?: { schemas?: Record<string, unknown> };
};

const validators = new WeakMap<
  FastifyInstance,
  (method: string, url: string, res: ApiResponse) => void
>();

/**
 * Checks every API response a test receives against the OpenAPI document the
 * server publishes: the status must be documented for that operation and the
 * body must match its schema. So the document cannot drift from the server.
 */
async function responseValidator(app: FastifyInstance) {
  const cached = validators.get(app);
  if (cached) return cached;
  const doc = (await app.inject({ url: "/api/v1/openapi.json" })).json() as OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: "doc", components: doc.components ?? {} });
  // Literal paths first: `/tickets/bulk` is its own route, not `/tickets/{id}`.
  const routes = Object.entries(doc.paths)
    .map(([template, operations]) => ({
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      params: (template.match(/\{/g) ?? []).length,
      operations,
    }))
    .sort((a, b) => a.params - b.params);
  const validate = (method: string, url: string, res: ApiResponse) => {
    const path = url.split("?")[0] ?? url;
    const route = routes.find((r) => r.pattern.test(path));
    assert.ok(route, `${path} is not in the OpenAPI document`);
    const operation = route.operations[method.toLowerCase()];
    assert.ok(operation, `${method} ${path} is not in the OpenAPI document`);
    const documented = operation.responses[String(res.status)];
    assert.ok(documented, `${method} ${path} answered ${res.status}, which is not documented`);
    const content = documented.content;
    if (!content) return;
    const [type, media] = Object.entries(content)[0] ?? [];
    assert.ok(type && media, `${method} ${path} ${res.status} documents no content`);
    const schema = JSON.parse(
      JSON.stringify(media.schema).replaceAll('"#/components/', '"doc#/components/'),
    );
    const check = ajv.compile(schema);
    assert.ok(
      check(res.body),
      `${method} ${path} ${res.status} does not match the document: ${ajv.errorsText(check.errors)}`,
    );
    ajv.removeSchema(schema);
  };
  validators.set(app, validate);
  return validate;
}

/** A client for the JSON API with a bearer token (or none), checking every answer against the document. */
export class ApiClient {
  constructor(
    readonly app: FastifyInstance,
    readonly token: string | undefined,
  ) {}

  async request<T = Body>(
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const res = await this.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined
        ? {
            payload:
              typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
          }
        : {}),
    });
    const parsed: ApiResponse<T> = {
      status: res.statusCode,
      headers: res.headers,
      body: res.body ? (res.json() as T) : (undefined as T),
    };
    if (res.statusCode >= 400) {
      assert.match(String(res.headers["content-type"]), /^application\/problem\+json/);
    }
    (await responseValidator(this.app))(method, `/api/v1${url}`, parsed);
    return parsed;
  }

  get<T = Body>(url: string, headers?: Record<string, string>) {
    return this.request<T>("GET", url, undefined, headers);
  }
  post<T = Body>(url: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>("POST", url, body, headers);
  }
  patch<T = Body>(url: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>("PATCH", url, body, headers);
  }

  /** Posts a multipart/form-data body: text fields and files. */
  async postForm<T = Body>(
    url: string,
    fields: Record<string, string>,
    files: { field: string; filename: string; content: Buffer | string; type?: string }[] = [],
    headers: Record<string, string> = {},
  ) {
    const form = new FormData();
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
    return this.request<T>("POST", url, payload, {
      "content-type": request.headers.get("content-type") ?? "",
      ...headers,
    });
  }
}

/** An API client acting as `user`, with a fresh personal token. */
export async function apiAs(world: World, user: TestUser): Promise<ApiClient> {
  const { token } = await createToken(world.deps, user, { name: "test" });
  return new ApiClient(world.app, token);
}

export function anonymousApi(world: World): ApiClient {
  return new ApiClient(world.app, undefined);
}
