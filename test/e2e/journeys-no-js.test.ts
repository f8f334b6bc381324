// The same journeys with JavaScript off: everything is a plain HTML form or link.
import { defineJourneys } from "./journeys.ts";

defineJourneys({ javaScript: false });
