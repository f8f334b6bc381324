CREATE TYPE "public"."mailbox_after_import" AS ENUM('seen', 'move');--> statement-breakpoint
CREATE TYPE "public"."mailbox_auth" AS ENUM('password', 'oauth2');--> statement-breakpoint
CREATE TYPE "public"."mailbox_tls" AS ENUM('tls', 'starttls', 'off');--> statement-breakpoint
CREATE TABLE "mailbox_messages" (
	"mailbox_id" integer NOT NULL,
	"uid_validity" bigint NOT NULL,
	"uid" bigint NOT NULL,
	"inbound_id" integer NOT NULL,
	CONSTRAINT "mailbox_messages_mailbox_id_uid_validity_uid_pk" PRIMARY KEY("mailbox_id","uid_validity","uid")
);
--> statement-breakpoint
CREATE TABLE "mailboxes" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mailboxes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"address" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"imap_host" text NOT NULL,
	"imap_port" integer NOT NULL,
	"imap_tls" "mailbox_tls" DEFAULT 'tls' NOT NULL,
	"imap_user" text NOT NULL,
	"imap_auth" "mailbox_auth" DEFAULT 'password' NOT NULL,
	"imap_secret" text,
	"folder" text DEFAULT 'INBOX' NOT NULL,
	"after_import" "mailbox_after_import" DEFAULT 'seen' NOT NULL,
	"move_to" text,
	"smtp_host" text,
	"smtp_port" integer,
	"smtp_tls" "mailbox_tls",
	"smtp_user" text,
	"smtp_secret" text,
	"lease_token" text,
	"lease_until" timestamp (3) with time zone,
	"uid_validity" bigint,
	"last_success_at" timestamp (3) with time zone,
	"last_error" text,
	"last_error_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mailboxes_address_unique" UNIQUE("address")
);
--> statement-breakpoint
ALTER TABLE "mailbox_messages" ADD CONSTRAINT "mailbox_messages_mailbox_id_mailboxes_id_fk" FOREIGN KEY ("mailbox_id") REFERENCES "public"."mailboxes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailbox_messages" ADD CONSTRAINT "mailbox_messages_inbound_id_inbound_emails_id_fk" FOREIGN KEY ("inbound_id") REFERENCES "public"."inbound_emails"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mailbox_messages_inbound_idx" ON "mailbox_messages" USING btree ("inbound_id");