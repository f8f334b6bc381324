// The words bench tickets are written in: a few hundred real helpdesk words, a long
// tail of product names and error codes, drawn with Zipf's law so full-text search
// meets common words (thousands of matches), rare ones (a handful) and everything between.

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same data set. */
export function prng(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = `account access login password reset email invoice payment refund order delivery
shipping package tracking number address billing subscription plan upgrade downgrade cancel
renewal charge card bank transfer receipt error message screen page button link download
upload file attachment report export import data sync backup restore update install version
release app mobile phone tablet laptop desktop browser chrome firefox safari windows mac linux
android iphone printer scanner network wifi router connection timeout slow crash freeze
broken missing wrong duplicate failed pending blocked locked expired invalid unable cannot
working stopped started changed deleted removed added created saved sent received opened
closed settings profile notification alert reminder calendar meeting schedule appointment
team member user admin role permission group folder document spreadsheet presentation
template signature contract quote discount coupon promotion price cost fee tax vat currency
customer support agent ticket request issue problem question feedback complaint suggestion
feature bug fix patch workaround issue outage maintenance incident status dashboard widget
integration api webhook token key certificate domain server database storage quota limit
license seat trial migration onboarding training documentation guide tutorial video help
urgent asap today tomorrow yesterday morning afternoon evening week month year monday
friday weekend holiday office warehouse store branch region country language translation
keyboard mouse monitor display battery charger cable adapter headset camera microphone
speaker volume sound audio image photo picture logo color font size layout mobile tab
search filter sort column row cell field form checkbox dropdown menu sidebar header footer
verification code sms authenticator factor security breach phishing spam virus malware
firewall vpn proxy port dns ssl https redirect loop cache cookie session logout timeout
shipment courier parcel return exchange warranty repair replacement damaged defective
label barcode inventory stock item product catalog category variant sku bundle kit
reservation booking flight hotel ticketing seat gate boarding luggage baggage delay`;

const PHRASES = `hello hi thanks thank please kindly regards cheers sorry apologies appreciate
could would should might again still already just really quite very soon later before after
since because however although while when where which what who why how`;

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ra",
  "ven",
  "tor",
  "is",
  "quo",
  "zen",
  "dar",
  "bel",
  "nix",
  "sol",
  "tra",
  "vo",
  "lux",
  "mer",
  "pan",
  "rio",
  "sta",
  "ul",
  "xen",
  "yor",
  "fa",
  "gri",
  "hol",
  "jun",
  "kel",
];

function words(text: string): string[] {
  return [...new Set(text.split(/\s+/).filter(Boolean))];
}

/**
 * The ranked vocabulary: real words first (most frequent), then product names
 * and error codes as the long tail. About 6,000 distinct terms.
 */
export function vocabulary(random: () => number): string[] {
  const real = words(COMMON);
  // Shuffle the real words so frequency rank is not alphabetical or thematic.
  for (let i = real.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [real[i], real[j]] = [real[j] as string, real[i] as string];
  }
  const tail = new Set<string>();
  while (tail.size < 4000) {
    const n = 2 + Math.floor(random() * 3);
    let w = "";
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    tail.add(w);
  }
  for (let i = 0; i < 1500; i++) tail.add(`e${1000 + Math.floor(random() * 9000)}`);
  return [...real, ...tail];
}

/**
 * Draws ranks 0..n-1 with probability proportional to 1/(rank+q) (Zipf-Mandelbrot):
 * the most common word is in about one message in ten, a word of rank 1,000 in
 * about one in two hundred.
 */
export function zipf(n: number, random: () => number, q = 50): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + q);
    cdf[i] = sum;
  }
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface Corpus {
  /** Sentences message bodies are made of (two or three each). */
  sentences: string[];
  /** Ticket titles. */
  titles: string[];
  /** The vocabulary, most frequent first. */
  vocabulary: string[];
}

/** Sentences and titles from the seed: the text of every generated ticket comes from these. */
export function corpus(seed: number, sentenceCount = 20_000, titleCount = 10_000): Corpus {
  const random = prng(seed);
  const vocab = vocabulary(random);
  const rank = zipf(vocab.length, random);
  const glue = words(PHRASES);
  const pick = () => vocab[rank()] as string;
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(random() * (max - min + 1));
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(random() < 0.25 ? (glue[Math.floor(random() * glue.length)] as string) : pick());
    }
    const text = out.join(" ");
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  };
  const sentences = Array.from({ length: sentenceCount }, () => `${sentence(6, 16)}.`);
  const titles = Array.from({ length: titleCount }, () => sentence(3, 8));
  return { sentences, titles, vocabulary: vocab };
}

/**
 * What the search scenario looks for: ten words from the middle of the frequency
 * ranking (ranks 100 to 3,000), from "in one message in fifty" to "one in a thousand".
 */
export function searchWords(seed: number): string[] {
  const vocab = vocabulary(prng(seed));
  return [100, 150, 250, 400, 600, 900, 1300, 1800, 2400, 3000].map(
    (rank) => vocab[rank] as string,
  );
}
