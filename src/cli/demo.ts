import { createUser, needsSetup } from "../accounts/accounts.service.ts";
import type { Actor, Role } from "../accounts/index.ts";
import type { Deps } from "../deps.ts";
import { Invalid } from "../lib/errors.ts";
import type { Priority, Status } from "../tickets/lifecycle.ts";
import { addReply, createTicket, updateTicket } from "../tickets/tickets.service.ts";
import { discardDemoMail, spreadDemoTimestamps } from "./demo.repo.ts";

/**
 * `tessera demo`: a believable helpdesk to click through, built only through
 * the service functions the web pages use, so every row is one the app itself
 * could have written (events, status rules and all). Text comes from small
 * phrase tables and a seeded generator: the same demo every time.
 */

export const DEMO_DOMAIN = "demo.tessera.test";
// The demo's tickets are spread over this many past days.
const DEMO_DAYS = 90;
export const DEMO_PASSWORD = "tessera-demo";

const SEED = 20_240_917;
const AGENT_COUNT = 3;
const CUSTOMER_COUNT = 50;
/** Closed tickets the customer answers again, which opens a linked follow-up ticket. */
const FOLLOW_UPS = 4;

/**
 * Exact shares of the tickets opened directly, so every status and priority is
 * present; with the follow-ups that makes 300 tickets.
 */
const STATUS_COUNTS: Record<Status, number> = {
  new: 44,
  open: 82,
  pending: 56,
  solved: 62,
  closed: 52,
};
const PRIORITY_COUNTS: Record<Priority, number> = { low: 60, normal: 140, high: 70, urgent: 26 };

// --- a small seeded random source (mulberry32) ---

class Dice {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return this.skewed(items, 1);
  }

  /** Like pick, but with `power` > 1 the first items come up far more often. */
  skewed<T>(items: readonly T[], power: number): T {
    const item = items[Math.floor(this.next() ** power * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

// --- people ---

const AGENTS = [
  { name: "Maya Okafor", first: "Maya" },
  { name: "Jonas Lindqvist", first: "Jonas" },
  { name: "Priya Raman", first: "Priya" },
];
const ADMIN = { name: "Alex Morgan", first: "Alex" };

// biome-ignore format: a name table reads better packed
const FIRST_NAMES = [
  "Amelia", "Ben", "Carla", "Daniel", "Elif", "Farid", "Grace", "Hiroshi", "Ines", "Jakob",
  "Kemi", "Lars", "Mariana", "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Samuel", "Tanvi",
  "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aoife", "Bruno", "Chloe", "Dmitri",
];
// biome-ignore format: a name table reads better packed
const LAST_NAMES = [
  "Adeyemi", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer", "Gallagher", "Haddad",
  "Ivanova", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Oliveira", "Petrov",
  "Rossi", "Schmidt", "Tanaka", "Van Dijk", "Walsh", "Yilmaz", "Zhang", "Novak",
];

interface Person {
  readonly actor: Actor;
  readonly first: string;
}

// --- what tickets are about ---

/**
 * One kind of support request and how its conversation goes. Slots in braces
 * are filled once per ticket (see SLOTS and Story), so a ticket's messages agree.
 */
interface Issue {
  subjects: readonly string[];
  /** The heart of the first message. */
  problem: string;
  /** Something broken in the app (the customer says what they tried), other trouble, or a question. */
  kind: "app" | "trouble" | "question";
  /** The agent's first answer: a question or a first step. */
  ask: string;
  /** The customer's answer to it. */
  detail: string;
  /** The agent's answer that resolves it. */
  fix: string;
  /** What staff tell each other in an internal note. */
  note: string;
}

const ISSUES: readonly Issue[] = [
  // Signing in
  {
    subjects: ["Can't sign in after resetting my password", "New password not accepted"],
    problem:
      "Since {since} I can't sign in. I reset my password twice and the new one is still rejected.",
    kind: "app",
    ask: "Could you tell me roughly what time you last tried, so I can find it in our logs?",
    detail: "I last tried at about {time}, from {device}.",
    fix: "Your account had been locked by our brute-force protection, which kept rejecting even the right password. I've cleared the lock, so you can sign in again now.",
    note: "Auth logs show 12 failed attempts in 5 minutes from this account, probably a saved old password in a browser.",
  },
  {
    subjects: ["Two-factor code never arrives", "No SMS code when signing in"],
    problem: "The two-factor code by SMS never arrives, so I'm stuck on the verification screen.",
    kind: "app",
    ask: "Could you confirm the last two digits of the phone number on your account, and your mobile carrier?",
    detail: "The number ends in {digits2}. I'm with a small carrier, maybe that matters?",
    fix: "Our SMS provider was dropping messages to some carriers. I've switched your account to authenticator-app codes instead, which don't depend on SMS at all.",
    note: "SMS provider incident confirmed on their status page; several carriers affected since {since}.",
  },
  {
    subjects: ["SSO login fails with error {code}", "Single sign-on broken for our team"],
    problem: "Our single sign-on stopped working {when}. Everyone on the team sees error {code}.",
    kind: "app",
    ask: "Which identity provider do you use, and did anything change on your side recently?",
    detail: "We use Okta. Our IT team did renew a certificate last week, now that you mention it.",
    fix: "The new certificate from your identity provider wasn't uploaded on our side yet. I've added it, and single sign-on works again.",
    note: "SAML signature check failing: the certificate fingerprint doesn't match the one on file.",
  },
  {
    subjects: ["Sign-in page keeps reloading in {browser}"],
    problem:
      "The sign-in page in {browser} reloads as soon as I submit it, with no error message at all.",
    kind: "app",
    ask: "Does it also happen in a private window, with extensions turned off?",
    detail: "In a private window it works! So probably one of my extensions or old cookies.",
    fix: "An old session cookie from before our domain move was confusing the sign-in. I've ended all your old sessions; clearing cookies for our site will also stop it.",
    note: "Known issue with cookies from the old domain; the cleanup job runs next week.",
  },
  {
    subjects: ["Please remove a former employee's access"],
    problem:
      "One of our team members left the company {when}. Please make sure they can't sign in any more.",
    kind: "question",
    ask: "Could you send me the person's email address? For security, please write from the account owner's address.",
    detail: "It's the address starting with j.doe, same domain as mine. I'm the account owner.",
    fix: "Their account is disabled and all their sessions are ended. Their tickets and notes stay as they were.",
    note: "Requester verified as the account owner; disabled the user and revoked their API token.",
  },
  // Billing
  {
    subjects: ["Charged twice for {month}", "Double payment on my card"],
    problem: "I was charged {amount} twice for {month}. Both payments show on my card statement.",
    kind: "trouble",
    ask: "Could you send me the last four digits of the card, so I can match the payments?",
    detail: "The card ends in {digits}. Both charges were on the 3rd.",
    fix: "I've refunded the duplicate payment of {amount}; it should show on your statement within 5 business days.",
    note: "Duplicate charge confirmed in the payment dashboard; refund approved by finance.",
  },
  {
    subjects: ["Invoice {invoice} shows the wrong VAT number", "Wrong VAT number on invoice"],
    problem:
      "Invoice {invoice} has our old VAT number on it. Our finance team needs a corrected copy.",
    kind: "question",
    ask: "Could you confirm the correct VAT number and the billing address that should appear on the invoice?",
    detail: "The correct VAT number and our new billing address are in the attached PDF.",
    fix: "Here is the corrected invoice {invoice} with the new VAT number. The old one has been voided.",
    note: "Third VAT correction this month; we should let customers edit it themselves.",
  },
  {
    subjects: ["How do I switch to the {plan} plan?", "Upgrading to {plan}"],
    problem:
      "We'd like to move to the {plan} plan from next month. What happens to the days left on the current one?",
    kind: "question",
    ask: "Could you tell me which day you'd like the new plan to start?",
    detail: "Starting on the 1st would be best for our accounting.",
    fix: "You're on the {plan} plan from the 1st. The unused days of the old plan were credited to your account.",
    note: "Annual contract: the plan change needs a prorated credit, not a refund.",
  },
  {
    subjects: ["Refund for a cancelled subscription", "Still charged after cancelling"],
    problem: "I cancelled our subscription {when} but was still charged {amount}.",
    kind: "trouble",
    ask: "Could you tell me the email address of the account you cancelled? It doesn't seem to be this one.",
    detail: "Sorry, it's my work address, same name at our company domain.",
    fix: "Found it: the cancellation was saved a day after the renewal ran. The refund of {amount} has been issued and the subscription is fully cancelled.",
    note: "Renewal ran at midnight, cancellation came in the next morning. Refund approved as goodwill.",
  },
  {
    subjects: ["Card declined but the bank says it's fine", "Payment keeps failing"],
    problem:
      "Our card keeps getting declined at checkout, but the bank sees no attempt on their side.",
    kind: "app",
    ask: "Which browser do you use at checkout? Some privacy extensions block the payment form.",
    detail: "I use {browser} with an ad blocker; I tried again without it and it went through!",
    fix: "Great, that confirms it: the ad blocker stopped the payment form from loading. Your payment is received and the account is active.",
    note: "Payment processor shows no attempts at all, so the form never reached them. Client-side block.",
  },
  // Bugs
  {
    subjects: ["Export to CSV produces an empty file", "CSV export is empty"],
    problem: "Every CSV export since {since} is an empty file with only the header row.",
    kind: "app",
    ask: "Could you tell me which list you export from, and whether a filter is active?",
    detail: "It's the {feature} list, with the filter set to this year.",
    fix: "This was a bug introduced in version {version}: records with a line break in a field stopped the export. The fix is live now; could you try again?",
    note: "Reproduced on staging. Regression in {version}: the CSV writer stops at the first multi-line field.",
  },
  {
    subjects: ["{feature} page is blank in {browser}", "Blank page when opening {feature}"],
    problem:
      "The {feature} page loads but stays completely blank in {browser}. Other pages are fine.",
    kind: "app",
    ask: "Could you open the browser console (F12) on that page and send me what it shows?",
    detail: "The console shows a red error: {code}, something about a missing field.",
    fix: "Thanks, that error pointed straight at the cause: one record with an empty date broke the page. Engineering fixed it and {feature} loads again.",
    note: "Filed as a bug for the web team with the console output; it only hits accounts with an empty date field.",
  },
  {
    subjects: ["Dashboard numbers don't match the monthly report"],
    problem: "The dashboard says 418 orders for {month}, but the monthly report says 402.",
    kind: "question",
    ask: "Could you tell me whether you had refunds or cancelled orders in {month}?",
    detail: "Yes, about a dozen refunds, maybe sixteen.",
    fix: "That's the difference: the report leaves refunded orders out and the dashboard still counted them. Today's release makes the dashboard match the report.",
    note: "Confirmed: dashboard counts include refunded orders. Fix is in today's release.",
  },
  {
    subjects: ["Attachments over 5 MB fail to upload", "Upload stops at 99%"],
    problem: "Uploading any attachment bigger than about 5 MB fails at 99% with no message.",
    kind: "app",
    ask: "Could you send me the name and size of one of the files that fails? I'd like to try the same here.",
    detail: "It's a 7 MB PDF called quarterly-report.pdf.",
    fix: "We found a proxy limit that was lower than the documented one. It's raised now, and large files go through.",
    note: "Proxy body limit was 5 MB instead of 25 MB after the last infrastructure change.",
  },
  {
    subjects: ["Error {code} when saving {feature} settings"],
    problem:
      "When I save the {feature} settings I get error {code} and my changes are lost.\n\nSteps:\n\n1. Open {feature}\n2. Change any option\n3. Click Save",
    kind: "app",
    ask: "Does it happen for every option, or only some?",
    detail: "Only when I change the time zone, the other options save fine.",
    fix: "Engineering found the cause: time zones without a region name failed to save. That's fixed, and saving works again.",
    note: "Reproduced with the Etc/UTC time zone; fix merged, deploying this afternoon.",
  },
  // Orders and delivery
  {
    subjects: ["Order {order} hasn't arrived", "Where is my order {order}?"],
    problem: "My order {order} was supposed to arrive {when} and there's still no sign of it.",
    kind: "trouble",
    ask: "I've asked the carrier for an update. Could you confirm the delivery address on the order is correct?",
    detail: "The address is right, it's the same one as my last order.",
    fix: "The carrier found the package at their depot; it's out for delivery today.",
    note: "Carrier claim opened for order {order}; they answer within 48 hours.",
  },
  {
    subjects: ["Wrong size delivered for order {order}"],
    problem: "I ordered a medium but order {order} came with a large. I'd like to exchange it.",
    kind: "trouble",
    ask: "Could you send a photo of the label on the item, so we can arrange the exchange?",
    detail: "Photo attached. The label says L, not M.",
    fix: "A medium is on its way, and here is a prepaid return label for the large one.",
    note: "Warehouse confirms a packing mix-up on that day's batch; several orders affected.",
  },
  {
    subjects: ["Tracking number doesn't work"],
    problem:
      'The tracking number in the shipping email for order {order} says "not found" on the carrier\'s site.',
    kind: "trouble",
    ask: "Tracking numbers sometimes take a day to appear. Could you try again tomorrow and let me know?",
    detail: "Tried again this morning, still not found.",
    fix: "The label was printed twice and the first number was never used. Here's the right one; it already shows the parcel in transit.",
    note: "Duplicate label printed for {order}; the email sent the voided number.",
  },
  {
    subjects: ["Can I change the delivery address for order {order}?"],
    problem: "I'm moving next week. Could order {order} go to my new address instead?",
    kind: "question",
    ask: "Could you send me the new address, including the postcode?",
    detail: "The new address is 14 Harbour Street, flat 3, postcode 4021.",
    fix: "The delivery address for order {order} is updated; it ships on Monday.",
    note: "Order hadn't left the warehouse yet, so the address change was free.",
  },
  {
    subjects: ["Package arrived damaged", "Broken items in order {order}"],
    problem: "The box for order {order} was crushed and one of the mugs inside is broken.",
    kind: "trouble",
    ask: "Could you send a photo of the box and the broken item?",
    detail: "Here are the photos. The box looks like something heavy was put on it.",
    fix: "We've sent a replacement at no cost; no need to return the broken one.",
    note: "Goodwill replacement approved; the customer has ordered from us for years.",
  },
  // Questions and requests
  {
    subjects: ["How do I connect {integration}?", "Setting up the {integration} integration"],
    problem:
      "We'd like to connect {integration} so that new entries show up there automatically. Is there a guide?",
    kind: "question",
    ask: "Do you already have an API key for {integration}?",
    detail: "Yes, we have a key, we just couldn't find where to paste it.",
    fix: "It goes under Settings, Integrations, {integration}, Connect: paste the key there and pick what to sync. It takes about five minutes.",
    note: "Third question about this integration this week; the setting is hard to find. Raised with product.",
  },
  {
    subjects: ["Is there a dark mode?"],
    problem:
      "Is there a dark mode, or any way to make the interface less bright? I work late a lot.",
    kind: "question",
    ask: "Which device and browser do you usually work on?",
    detail: "Mostly {browser} on {device}.",
    fix: "Dark mode follows your system setting since version {version}: switch your computer to dark and the app follows.",
    note: "Feature exists but isn't discoverable; suggested a toggle in the account menu.",
  },
  {
    subjects: ["Can we add more than 10 users?", "Invite button greyed out"],
    problem:
      "Our team is growing and we need to add an 11th user, but the invite button is greyed out.",
    kind: "question",
    ask: "Could you tell me which plan you're on? The 10-user cap only applies to some plans.",
    detail: "We're on the starter plan, I think.",
    fix: "The 10-user cap is for the starter plan; I've enabled extra seats on your account, so you can invite the 11th person now.",
    note: "Sales should reach out: they're outgrowing their plan.",
  },
  {
    subjects: ["API rate limit on the {plan} plan", "Getting HTTP 429 from the API"],
    problem:
      "Our integration hits the API rate limit every morning around {time}. What are the limits on the {plan} plan?",
    kind: "question",
    ask: "Could you describe what your integration does every morning, and roughly how many calls it makes?",
    detail: "It syncs all our contacts, about 2,000 calls, all at {time}.",
    fix: "The {plan} plan allows 600 requests a minute. Spreading the morning sync over a few minutes, or using the bulk endpoint, keeps you well under it.",
    note: "Customer's sync sends 2k calls in one burst; suggested backoff and the bulk endpoint.",
  },
  {
    subjects: ["Feature request: bulk edit in {feature}"],
    problem:
      "It would save us hours if we could edit many records at once in {feature} instead of one by one.",
    kind: "question",
    ask: "Could you tell me a bit more about what you'd like to change in bulk?",
    detail: "Mostly the owner and the tags, on 50 to 100 records at a time.",
    fix: "Thanks for the details! I've passed them to the product team and added your vote; bulk edit is planned for next quarter.",
    note: "Bulk edit is on the roadmap for next quarter; added this customer to the feature request.",
  },
  // Performance
  {
    subjects: ["{feature} is very slow since the last update", "{feature} takes ages to load"],
    problem:
      "Since the update {when}, {feature} takes 20 to 30 seconds to load. It used to be instant.",
    kind: "app",
    ask: "Could you tell me around what time of day it's slowest?",
    detail: "It's worst in the morning, around {time}.",
    fix: "We found a slow database query behind {feature} and fixed it; load times should be back to normal.",
    note: "Slow query log shows a missing index after the last migration; engineering is on it.",
  },
  {
    subjects: ["Timeouts when loading reports"],
    problem:
      "The reports page times out with error {code} whenever I pick a range longer than a month.",
    kind: "app",
    ask: "Does it also happen with a shorter range, say two weeks?",
    detail: "Two weeks works, it's only longer ranges that fail.",
    fix: "Long reports now build in the background, and you get an email with a link when they're ready.",
    note: "Report queries over 30 days exceed the 30 s request timeout; background export is the fix.",
  },
  {
    subjects: ["Mobile app crashes on {phone}", "App closes when I open a notification"],
    problem: "The app crashes on {phone} as soon as I open a notification.",
    kind: "trouble",
    ask: "Could you tell me which app version you have installed? It's under Settings, About.",
    detail: "I have version {version} on {phone}.",
    fix: "The next app version fixes the crash; it's in the app store now.",
    note: "Crash reports match a known issue in {version}, fixed in the next build.",
  },
  {
    subjects: ["Search takes forever", "Search doesn't return anything"],
    problem: "Search takes over a minute and sometimes never returns anything.",
    kind: "app",
    ask: "Could you send me a couple of the searches you tried?",
    detail: "I searched for an order number and a customer name, both took ages.",
    fix: "Your account's search index was being rebuilt after the migration; that's finished, and searches answer in under a second again.",
    note: "Search index rebuild stuck at 60% for this account; restarted it.",
  },
  {
    subjects: ["Notifications arrive hours late", "Email alerts are delayed"],
    problem:
      "Email notifications arrive two or three hours after the event, which makes them useless for us.",
    kind: "trouble",
    ask: "Could you forward me one of the late notifications with its full headers?",
    detail: "Forwarded one just now; it was sent at {time} and arrived much later.",
    fix: "The notification queue was backed up after an outage. It's drained now and mail goes out on time again.",
    note: "Mail queue backlog confirmed, about 40k messages behind at {time}.",
  },
  // Account and data
  {
    subjects: ["Please delete my account and data", "Account deletion request"],
    problem:
      "I no longer use the service. Please delete my account and everything stored about me.",
    kind: "question",
    ask: "For your security, could you confirm this request from the email address on the account?",
    detail: "Yes, I'm writing from the address on the account.",
    fix: "Your account and all associated data have been deleted. You'll get a confirmation email shortly.",
    note: "Deletion request: 30-day legal deadline, do not let this one sit.",
  },
  {
    subjects: ["Change the email domain on our account"],
    problem:
      "Our company changed its domain, so every email address on our account needs to change.",
    kind: "question",
    ask: "Could you send me the old and new domain, and whether all users should move?",
    detail:
      "The old domain is oldname.example and the new one is newname.example; all users should move.",
    fix: "All addresses on your account now use the new domain; sign-in works with either for 30 days.",
    note: "Bulk domain change done with the admin script; 14 users updated.",
  },
  {
    subjects: ["Request for a copy of my data", "Data export request"],
    problem: "Under data protection law I'd like a copy of all personal data you hold about me.",
    kind: "question",
    ask: "Could you confirm the email address the export should be sent to?",
    detail: "Please send it to the address I'm writing from.",
    fix: "Your data export is ready: a download link was sent to your address and works for 7 days.",
    note: "Access request logged; export generated and checked before sending.",
  },
  {
    subjects: ["Transfer account ownership"],
    problem: "I'm leaving the company and need to hand the account over to my colleague.",
    kind: "question",
    ask: "Could you tell me your colleague's name and email address?",
    detail: "Her name is Laura Brandt and her address is on the same domain as mine.",
    fix: "Ownership has been transferred; your colleague is now the account owner and has been told by email.",
    note: "Ownership transfer needs the old owner's written consent, which we have in this thread.",
  },
];

const SLOTS: Record<string, readonly string[]> = {
  browser: ["Firefox", "Chrome", "Safari", "Edge"],
  device: [
    "an iPhone 13",
    "a Pixel 7",
    "a Samsung Galaxy S22",
    "an iPad",
    "a MacBook",
    "a Windows laptop",
  ],
  feature: ["Reports", "Invoices", "Contacts", "Projects", "Inventory", "Calendar", "Team"],
  integration: ["Slack", "Salesforce", "Shopify", "Google Calendar", "Zapier", "HubSpot"],
  plan: ["Team", "Business", "Enterprise"],
  month: ["January", "February", "March", "April", "May", "June", "July", "August"],
  phone: ["an iPhone 13", "a Pixel 7", "a Samsung Galaxy S22", "an iPad"],
  when: ["yesterday", "on Monday", "last week", "two days ago", "this morning", "on Friday"],
  since: ["yesterday", "Monday", "last week", "the weekend", "this morning", "Friday"],
  time: ["8:15", "9:00", "10:30", "13:45", "16:20", "22:05"],
  code: ["E-4012", "ERR_502", "AUTH-17", "E1009", "HTTP 500", "SYNC-33"],
  version: ["4.2.1", "4.3.0", "5.0.2", "5.1.0"],
  amount: ["€49.00", "€129.00", "$89.00", "$19.99", "£240.00"],
};

const GREETINGS = ["Hi,", "Hello,", "Hi there,", "Good morning,", "Hello support team,", ""];
const APP_CONTEXTS = [
  "I'm using {browser} on {device}.",
  "This is blocking our whole team.",
  "It worked fine until {since}.",
  "We have a deadline on Friday, so a quick answer would really help.",
  "",
  "",
];
const TRIED = [
  "I've already tried logging out and in again.",
  "I cleared the cache and tried another browser, same result.",
  "A colleague sees exactly the same thing.",
  "",
  "",
];
const TROUBLE_CONTEXTS = [
  "This has never happened to us before.",
  "We've been customers for years, so I hope this can be sorted quickly.",
  "I'd appreciate a quick answer.",
  "",
];
const QUESTION_CONTEXTS = [
  "We've been using the service for about a year.",
  "I couldn't find anything about it in the help pages.",
  "Thanks in advance!",
  "",
  "",
];
const CUSTOMER_SIGNOFFS = [
  "Thanks,\n{customer}",
  "Best regards,\n{customerFull}",
  "{customer}",
  "",
];
const AGENT_OPENERS = {
  app: [
    "Thanks for the report, and sorry for the trouble.",
    "Sorry to hear that!",
    "Thanks for reaching out.",
  ],
  trouble: [
    "Sorry about that!",
    "Thanks for letting us know, and sorry for the trouble.",
    "Thanks for getting in touch.",
  ],
  question: ["Thanks for reaching out.", "Thanks for getting in touch.", "Happy to help."],
} as const;
const AGENT_FOLLOW_OPENERS = ["Thanks, that helps.", "Thanks for the details.", "Got it, thanks."];
const AGENT_PROGRESS = [
  "I've passed this to our engineers and will update you as soon as I hear back.",
  "We're still looking into it; I'll let you know as soon as there's news.",
  "Could you try once more now? We deployed a change this morning that may help.",
];
const AGENT_SIGNOFFS = ["Best,\n{agent}", "Kind regards,\n{agent}\nTessera Support", "{agent}"];
const WAIT_LINES = [
  "Could you let me know whether that works for you?",
  "Let me know once you've had a chance to check.",
];
const CLOSING_LINES = [
  "I'll mark this as solved, but just reply here if anything else comes up.",
  "Let us know if there's anything else we can do.",
  "",
];
const CUSTOMER_NUDGES = [
  "Any update on this?",
  "Just checking in, is anyone looking at this?",
  "Is there any news? We're still stuck.",
];
const CUSTOMER_STILL = [
  "I tried again just now, and it's still the same.",
  "Thanks, but unfortunately nothing changed on my side.",
  "It worked for a day and now it's back.",
];
const CUSTOMER_THANKS = [
  "That worked, thank you!",
  "All good now, thanks for the quick help.",
  "Perfect, thanks!",
  "Confirmed, it's fixed on our side too. Thanks a lot.",
];
const STAFF_NOTES = [
  "Checked the account: no other open tickets from this customer.",
  "Still waiting on engineering; no estimate yet.",
  "Similar report came in by phone this morning.",
];
const FOLLOW_UP_LINES = [
  "Sorry to come back to this, but the same thing is happening again.",
  "This is back since {since}. Same problem as before.",
];

/** One ticket's story: its slots are fixed, so its messages agree with each other. */
class Story {
  private readonly values: Record<string, string>;
  private asked = false;
  private answered = false;
  private noted = false;

  constructor(
    private readonly dice: Dice,
    readonly issue: Issue,
    readonly customer: Person,
    handler: Person,
  ) {
    this.values = {
      customer: customer.first,
      customerFull: customer.actor.name,
      agent: handler.first,
      order: `#${dice.int(100_000, 999_999)}`,
      invoice: `INV-${dice.int(2024, 2025)}-${String(dice.int(1, 9999)).padStart(4, "0")}`,
      digits: String(dice.int(1000, 9999)),
      digits2: String(dice.int(10, 99)),
    };
    for (const [slot, options] of Object.entries(SLOTS)) this.values[slot] = dice.pick(options);
  }

  /** Whether an agent has asked the customer something yet. */
  get hasAsked(): boolean {
    return this.asked;
  }

  /** Another agent takes over and signs the replies from now on. */
  handOver(agent: Person): void {
    this.values.agent = agent.first;
  }

  private fill(template: string): string {
    return template.replace(/\{(\w+)\}/g, (_, slot: string) => {
      const value = this.values[slot];
      if (value === undefined) throw new Error(`demo template uses unknown slot {${slot}}`);
      return value;
    });
  }

  /** Paragraphs, slots filled, empty ones left out. */
  private text(...paragraphs: string[]): string {
    return paragraphs
      .map((p) => this.fill(p).trim())
      .filter((p) => p !== "")
      .join("\n\n");
  }

  private sentences(...parts: string[]): string {
    return parts.filter((p) => p !== "").join(" ");
  }

  title(): string {
    return this.fill(this.dice.pick(this.issue.subjects));
  }

  description(): string {
    const d = this.dice;
    const { kind, problem } = this.issue;
    const body =
      kind === "app"
        ? this.sentences(problem, d.pick(APP_CONTEXTS), d.pick(TRIED))
        : this.sentences(
            problem,
            d.pick(kind === "trouble" ? TROUBLE_CONTEXTS : QUESTION_CONTEXTS),
          );
    return this.text(d.pick(GREETINGS), body, d.pick(CUSTOMER_SIGNOFFS));
  }

  private agentMessage(body: string): string {
    return this.text("Hi {customer},", body, this.dice.pick(AGENT_SIGNOFFS));
  }

  /** A reply that keeps the conversation going: the first question, then progress. */
  agentAsk(): string {
    const d = this.dice;
    if (!this.asked) {
      this.asked = true;
      return this.agentMessage(
        this.sentences(d.pick(AGENT_OPENERS[this.issue.kind]), this.issue.ask),
      );
    }
    return this.agentMessage(this.sentences(d.pick(AGENT_FOLLOW_OPENERS), d.pick(AGENT_PROGRESS)));
  }

  /** The reply that solves it; with `wait`, asking the customer to confirm. */
  agentFix(wait: boolean): string {
    const d = this.dice;
    const opener = this.asked
      ? d.pick(AGENT_FOLLOW_OPENERS)
      : d.pick(AGENT_OPENERS[this.issue.kind]);
    const after = wait ? d.pick(WAIT_LINES) : d.pick(CLOSING_LINES);
    return this.agentMessage(this.sentences(opener, this.issue.fix, after));
  }

  /** The customer writes again: a nudge before anyone answered, else the answer asked for. */
  customerReply(): string {
    if (!this.asked) return this.fill(this.dice.pick(CUSTOMER_NUDGES));
    if (!this.answered) {
      this.answered = true;
      return this.fill(this.issue.detail);
    }
    return this.fill(this.dice.pick(CUSTOMER_STILL));
  }

  customerThanks(): string {
    return this.fill(this.dice.pick(CUSTOMER_THANKS));
  }

  note(): string {
    if (this.noted) return this.fill(this.dice.pick(STAFF_NOTES));
    this.noted = true;
    return this.fill(this.issue.note);
  }

  followUp(): string {
    return this.fill(this.dice.pick(FOLLOW_UP_LINES));
  }
}

type Step = "agent" | "customer" | "note" | "thanks";

/**
 * Who writes after the first message, in order, for a ticket that should end
 * in `status` with `total` messages (the first included). Replies alternate;
 * a ticket waiting on the customer or resolved ends with an agent's answer;
 * internal notes sit just before an agent's reply; a resolved ticket sometimes
 * ends with the customer's thanks.
 */
function planConversation(dice: Dice, status: Status, total: number): Step[] {
  const after = total - 1;
  if (status === "new") return after === 0 ? [] : [dice.chance(0.5) ? "customer" : "note"];
  let notes = after >= 3 && dice.chance(0.4) ? 1 : 0;
  if (after >= 5 && dice.chance(0.3)) notes++;
  const replies = after - notes;
  const endsWithAgent = status !== "open" || dice.chance(0.5);
  const steps: Step[] = [];
  let speaker: Step = endsWithAgent ? "agent" : "customer";
  for (let i = 0; i < replies; i++) {
    steps.unshift(speaker);
    speaker = speaker === "agent" ? "customer" : "agent";
  }
  for (let n = 0; n < notes; n++) {
    const agentAt = steps.flatMap((step, i) => (step === "agent" ? [i] : []));
    steps.splice(agentAt.length > 0 ? dice.pick(agentAt) : 0, 0, "note");
  }
  if ((status === "solved" || status === "closed") && replies >= 3 && dice.chance(0.4)) {
    steps.shift();
    steps.push("thanks");
  }
  return steps;
}

function countedList<T extends string>(dice: Dice, counts: Record<T, number>): T[] {
  return dice.shuffle(
    (Object.entries(counts) as [T, number][]).flatMap(([value, n]) =>
      Array.from({ length: n }, () => value),
    ),
  );
}

function higher(priority: Priority): Priority {
  return priority === "low" ? "normal" : priority === "normal" ? "high" : priority;
}

async function createPerson(
  deps: Deps,
  role: Role,
  email: string,
  name: string,
  first: string,
): Promise<Person> {
  try {
    const user = await createUser(deps, "system", {
      email,
      name,
      role,
      password: DEMO_PASSWORD,
    });
    return { actor: { id: user.id, email: user.email, name: user.name, role: user.role }, first };
  } catch (error) {
    if (error instanceof Invalid && error.errors.some((e) => e.field === "email")) {
      throw new Error(
        `the demo is already loaded here (${email} exists); use an empty DATA_DIR or database for a fresh one`,
      );
    }
    throw error;
  }
}

function customerNames(dice: Dice): { name: string; first: string; email: string }[] {
  const pairs = dice.shuffle(
    FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => ({ first, last }))),
  );
  return pairs.slice(0, CUSTOMER_COUNT).map(({ first, last }) => ({
    name: `${first} ${last}`,
    first,
    email: `${first}.${last}@${DEMO_DOMAIN}`.toLowerCase().replace(/[^a-z.@]/g, ""),
  }));
}

/**
 * Fills the database with a demo: an admin, 3 agents, 50 customers and 300
 * tickets with conversations, in every status and priority. Everything is
 * written in one transaction, so a failure leaves nothing half-seeded. Refuses
 * (throws) when the demo accounts already exist. Returns the sign-in details.
 */
export async function seedDemo(deps: Deps): Promise<string> {
  // The demo's mail is never sent (discardDemoMail), so the mail-loop guard has nothing to
  // protect: left on, it would fill the histories with "automatic mail suppressed".
  const config = { ...deps.config, autoReplyLimitPerHour: Number.MAX_SAFE_INTEGER };
  return deps.db.transaction(async (tx) => seedInto({ ...deps, config, db: tx }));
}

async function seedInto(deps: Deps): Promise<string> {
  // Demo accounts share a published password: never add them beside real ones.
  if (!(await needsSetup(deps))) {
    throw new Error(
      "the demo only loads into an empty database (this one has accounts, and the demo's would share a published password); use an empty DATA_DIR or database",
    );
  }
  const dice = new Dice(SEED);

  // Agents first: an existing agent1 means the demo is already here.
  const agents: Person[] = [];
  for (let i = 0; i < AGENT_COUNT; i++) {
    const agent = AGENTS[i] ?? { name: `Agent ${i + 1}`, first: `Agent ${i + 1}` };
    agents.push(
      await createPerson(deps, "agent", `agent${i + 1}@${DEMO_DOMAIN}`, agent.name, agent.first),
    );
  }
  const admin = await createPerson(deps, "admin", `admin@${DEMO_DOMAIN}`, ADMIN.name, ADMIN.first);
  const customers: Person[] = [];
  for (const c of customerNames(dice)) {
    customers.push(await createPerson(deps, "customer", c.email, c.name, c.first));
  }
  const staff = [...agents, admin];

  const statuses = countedList(dice, STATUS_COUNTS);
  const priorities = countedList(dice, PRIORITY_COUNTS);
  const closed: { id: number; story: Story }[] = [];
  let tickets = 0;

  for (let i = 0; i < statuses.length; i++) {
    const status = statuses[i] ?? "open";
    const priority = priorities[i] ?? "normal";
    // A few customers write a lot, most only once or twice.
    const customer = dice.skewed(customers, 1.7);
    let handler = dice.chance(0.1) ? admin : dice.pick(agents);
    const story = new Story(dice, dice.pick(ISSUES), customer, handler);
    const requester = customer.actor;

    // Most come from the portal, some by mail, a few through the API (not from the
    // dice, so the rest of the seeded story stays as it was).
    const channel = i % 4 === 1 ? "email" : i % 10 === 3 ? "api" : "web";
    const ticket = await createTicket(
      deps,
      requester,
      { title: story.title(), description: story.description(), priority },
      [],
      { channel },
    );
    tickets++;
    const id = ticket.id;
    let current = ticket.status;

    const total = status === "new" ? (dice.chance(0.3) ? 2 : 1) : dice.int(2, 6);
    const steps = planConversation(dice, status, total);
    const assign =
      status === "new"
        ? dice.chance(0.25)
        : status === "open" || status === "pending"
          ? dice.chance(0.88)
          : true;
    let staffTouched = false;
    let agentReplies = 0;
    const lastAgent = steps.lastIndexOf("agent");

    const touch = async () => {
      if (staffTouched) return;
      staffTouched = true;
      if (assign) await updateTicket(deps, handler.actor, id, { assigneeId: handler.actor.id });
      if (dice.chance(0.08) && higher(priority) !== priority) {
        await updateTicket(deps, handler.actor, id, { priority: higher(priority) });
      }
    };
    if (status === "new" && assign) await touch();

    for (const [index, step] of steps.entries()) {
      if (step === "note") {
        await touch();
        await addReply(deps, handler.actor, id, { content: story.note(), internal: true });
      } else if (step === "agent") {
        await touch();
        const final = index === lastAgent && status !== "open";
        // Waiting on the customer: for an answer to a question, or to confirm a fix.
        const content = !final
          ? story.agentAsk()
          : status === "pending" && !story.hasAsked
            ? story.agentAsk()
            : story.agentFix(status === "pending");
        // Earlier questions sometimes wait on the customer too, until they answer.
        const waitOnCustomer = index === lastAgent ? status === "pending" : dice.chance(0.4);
        current = (await addReply(deps, handler.actor, id, { content, waitOnCustomer })).ticket
          .status;
        agentReplies++;
        if (agentReplies === 1 && assign && !final && dice.chance(0.08)) {
          const previous = handler;
          handler = dice.pick(staff.filter((p) => p !== previous));
          await updateTicket(deps, previous.actor, id, { assigneeId: handler.actor.id });
          story.handOver(handler);
        }
      } else {
        const content = step === "thanks" ? story.customerThanks() : story.customerReply();
        current = (await addReply(deps, requester, id, { content })).ticket.status;
      }
    }

    if (status === "new") continue;
    await touch();
    if (status === "solved" || status === "closed") {
      if (current !== "solved") {
        // Now and then the customer marks their own ticket solved.
        const who = status === "solved" && dice.chance(0.3) ? requester : handler.actor;
        await updateTicket(deps, who, id, { status: "solved" });
      }
      if (status === "closed") {
        await updateTicket(deps, handler.actor, id, { status: "closed" });
        // Problems come back; answered questions do not.
        if (story.issue.kind !== "question") closed.push({ id, story });
      }
    } else if (current !== status) {
      await updateTicket(deps, handler.actor, id, { status });
    }
  }

  // A customer answering a closed ticket opens a follow-up linked to it.
  for (const { id, story } of closed.slice(0, FOLLOW_UPS)) {
    await addReply(deps, story.customer.actor, id, { content: story.followUp() });
    tickets++;
  }

  await spreadDemoTimestamps(deps.db, DEMO_DOMAIN, DEMO_DAYS);
  await discardDemoMail(deps.db, DEMO_DOMAIN);

  const login = new URL("/login", deps.config.publicUrl).href;
  const row = (role: string, person: Person) =>
    `  ${role.padEnd(9)} ${person.actor.email.padEnd(36)} ${person.actor.name}`;
  return [
    `Demo loaded: ${AGENT_COUNT} agents, ${CUSTOMER_COUNT} customers and ${tickets} tickets.`,
    `Sign in at ${login} with the password "${DEMO_PASSWORD}" as any of:`,
    row("admin", admin),
    ...agents.map((a) => row("agent", a)),
    ...customers.slice(0, 2).map((c) => row("customer", c)),
  ].join("\n");
}
