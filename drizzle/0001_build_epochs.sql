CREATE TABLE "acceptances" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"build_id" text NOT NULL,
	"batch_ids" text[] NOT NULL,
	"summary" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "builds" (
	"id" text PRIMARY KEY NOT NULL,
	"dataset_id" text NOT NULL,
	"epoch" integer NOT NULL,
	"run_key" text NOT NULL,
	"fresh" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"stop_reason" text,
	"settings" jsonb NOT NULL,
	"accepted_before" integer DEFAULT 0 NOT NULL,
	"first_round" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "accepted_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "build_id" text;--> statement-breakpoint
ALTER TABLE "acceptances" ADD CONSTRAINT "acceptances_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "builds" ADD CONSTRAINT "builds_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "acceptances_build_idx" ON "acceptances" USING btree ("build_id");--> statement-breakpoint
CREATE UNIQUE INDEX "builds_dataset_epoch_uq" ON "builds" USING btree ("dataset_id","epoch");--> statement-breakpoint
CREATE UNIQUE INDEX "builds_run_key_uq" ON "builds" USING btree ("run_key");