import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";

/**
 * A real OpenID Provider (the `oidc-provider` package) on a loopback port, for
 * single sign-on tests: discovery, the authorization endpoint with PKCE, the
 * token endpoint, signed ID tokens and UserInfo are the package's own. Only
 * the login screen is the test's: whoever `signInAs` names is signed in at the
 * next prompt, with the claims given (or the person cancels).
 */
export interface TestAccount {
  sub: string;
  email?: string;
  /** Default true. */
  emailVerified?: boolean;
  name?: string;
}

export interface TestOpenIdProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Who signs in at the next login prompt; "cancel" answers access_denied. */
  signInAs(account: TestAccount | "cancel"): void;
  /**
   * Follows the browser's visit from the authorization URL through the
   * provider (its cookies kept) to the redirect back to the app; returns that URL.
   */
  authorize(authorizationUrl: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startOpenIdProvider(options: {
  redirectUri: string;
  /**
   * The issuer's host name (it listens on 127.0.0.1 either way): "localhost" puts it on
   * another site than an app at 127.0.0.1, as a real provider is, for a browser test.
   */
  hostname?: "127.0.0.1" | "localhost";
}): Promise<TestOpenIdProvider> {
  const clientId = "tessera-test";
  const clientSecret = randomBytes(24).toString("base64url");
  const accounts = new Map<string, TestAccount>();
  let next: TestAccount | "cancel" | undefined;
  let provider: Provider | undefined;

  const server = createServer((req, res) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith("/interaction/")) {
      interact(provider, req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://${options.hostname ?? "127.0.0.1"}:${(server.address() as AddressInfo).port}`;

  async function interact(p: Provider, req: IncomingMessage, res: ServerResponse) {
    const details = await p.interactionDetails(req, res);
    const who = next;
    if (who === undefined) throw new Error("the test did not say who signs in (signInAs)");
    if (who === "cancel") {
      await p.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "The person cancelled." },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (details.prompt.name === "login") {
      accounts.set(who.sub, who);
      await p.interactionFinished(
        req,
        res,
        { login: { accountId: who.sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    // Consent: grant what the client asked for, as a person clicking "Allow" would.
    const grant = new p.Grant({ accountId: who.sub, clientId });
    grant.addOIDCScope("openid email profile");
    const grantId = await grant.save();
    await p.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), use: "sig", alg: "RS256" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            ...(account.email === undefined ? {} : { email: account.email }),
            email_verified: account.emailVerified ?? true,
            ...(account.name === undefined ? {} : { name: account.name }),
          };
        },
      };
    },
  };
  provider = new Provider(issuer, configuration);

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(account) {
      next = account;
    },
    async authorize(authorizationUrl) {
      const cookies = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < 10; hop++) {
        if (url.href.startsWith(options.redirectUri)) return url;
        if (url.origin !== issuer) throw new Error(`left the provider for ${url.href}`);
        const response = await fetch(url, {
          redirect: "manual",
          headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
        });
        for (const line of response.headers.getSetCookie()) {
          const [pair = ""] = line.split(";");
          const eq = pair.indexOf("=");
          const value = pair.slice(eq + 1);
          if (value === "") cookies.delete(pair.slice(0, eq));
          else cookies.set(pair.slice(0, eq), value);
        }
        const location = response.headers.get("location");
        if (!location) {
          throw new Error(`the provider answered ${response.status}: ${await response.text()}`);
        }
        url = new URL(location, url);
      }
      throw new Error("too many redirects at the provider");
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
