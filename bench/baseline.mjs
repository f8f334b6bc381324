// The ratio column's yardstick: a bare Fastify route answering a constant, on this
// machine, in the same run. Every scenario's throughput is reported as a fraction of it.
import Fastify from "fastify";

const app = Fastify({ logger: false });
const body = { ok: true };
app.get("/", async () => body);
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
process.once("SIGTERM", () => app.close().then(() => process.exit(0)));
