import { createContext } from "preact";
import { DEFAULT_TRANSLATOR, type Translator } from "../../i18n/i18n.ts";

/**
 * The reader's language and time zone for components that have no page
 * context (`<Time>`): `reply.render` provides the request's translator.
 */
export const ReaderContext = createContext<Translator>(DEFAULT_TRANSLATOR);
