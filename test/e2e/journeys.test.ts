// The main journeys with JavaScript on: pages and forms boosted by htmx.
import { defineJourneys } from "./journeys.ts";

defineJourneys({ javaScript: true });
