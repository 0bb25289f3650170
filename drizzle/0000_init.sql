CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"key_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"round" integer NOT NULL,
	"index" integer NOT NULL,
	"status" text NOT NULL,
	"summary" jsonb NOT NULL,
	"accept_summary" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "build_progress" (
	"workflow_id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"progress" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chunks" (
	"id" text PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"dataset_id" text NOT NULL,
	"index" integer NOT NULL,
	"text" text NOT NULL,
	"start_offset" integer NOT NULL,
	"end_offset" integer NOT NULL,
	"pages" integer[],
	"content_hash" text NOT NULL,
	"token_count" integer
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"type" text DEFAULT 'qa' NOT NULL,
	"status" text DEFAULT 'idle' NOT NULL,
	"target" integer,
	"accepted_count" integer DEFAULT 0 NOT NULL,
	"stop_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exports" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"format" text NOT NULL,
	"files" jsonb NOT NULL,
	"record_count" integer NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"batch_id" text NOT NULL,
	"round" integer NOT NULL,
	"position" integer NOT NULL,
	"status" text DEFAULT 'candidate' NOT NULL,
	"reject_reason" text,
	"reject_detail" text,
	"type" text NOT NULL,
	"content" jsonb,
	"raw_output" text,
	"content_hash" text,
	"minhash" "bytea",
	"embedding" real[],
	"score" real,
	"judge_reasoning" text,
	"reward" jsonb,
	"chunk_id" text,
	"seed_record_id" text,
	"source" text,
	"accept_seq" integer,
	"tokens_in" integer DEFAULT 0 NOT NULL,
	"tokens_out" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seed_records" (
	"id" text PRIMARY KEY NOT NULL,
	"source_id" text NOT NULL,
	"dataset_id" text NOT NULL,
	"position" integer NOT NULL,
	"content" jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"kind" text NOT NULL,
	"uri" text NOT NULL,
	"file_name" text NOT NULL,
	"format" text NOT NULL,
	"content_hash" text NOT NULL,
	"title" text,
	"chunk_count" integer DEFAULT 0 NOT NULL,
	"seed_record_count" integer DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"dataset_id" text,
	"kind" text NOT NULL,
	"workflow_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batches" ADD CONSTRAINT "batches_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chunks" ADD CONSTRAINT "chunks_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exports" ADD CONSTRAINT "exports_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "seed_records" ADD CONSTRAINT "seed_records_source_id_sources_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."sources"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sources" ADD CONSTRAINT "sources_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash_uq" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "batches_dataset_idx" ON "batches" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "chunks_dataset_idx" ON "chunks" USING btree ("dataset_id","id");--> statement-breakpoint
CREATE INDEX "datasets_owner_idx" ON "datasets" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "exports_dataset_idx" ON "exports" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "records_dataset_status_idx" ON "records" USING btree ("dataset_id","status");--> statement-breakpoint
CREATE INDEX "records_batch_idx" ON "records" USING btree ("batch_id");--> statement-breakpoint
CREATE UNIQUE INDEX "records_accepted_content_uq" ON "records" USING btree ("dataset_id","content_hash") WHERE status = 'accepted';--> statement-breakpoint
CREATE UNIQUE INDEX "records_accept_seq_uq" ON "records" USING btree ("dataset_id","accept_seq");--> statement-breakpoint
CREATE INDEX "seed_records_dataset_idx" ON "seed_records" USING btree ("dataset_id","id");--> statement-breakpoint
CREATE INDEX "sources_dataset_idx" ON "sources" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "tasks_owner_idx" ON "tasks" USING btree ("owner_id","created_at");