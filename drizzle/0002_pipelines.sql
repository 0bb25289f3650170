CREATE TABLE "pipeline_checkpoints" (
	"run_id" text NOT NULL,
	"batch" integer NOT NULL,
	"block_index" integer NOT NULL,
	"rows_in" integer NOT NULL,
	"rows_out" integer NOT NULL,
	"rejects" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"tokens_in" bigint DEFAULT 0 NOT NULL,
	"tokens_out" bigint DEFAULT 0 NOT NULL,
	"llm_calls" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipeline_rejects" (
	"run_id" text NOT NULL,
	"batch" integer NOT NULL,
	"block_index" integer NOT NULL,
	"position" integer NOT NULL,
	"block_name" text NOT NULL,
	"row_id" text NOT NULL,
	"reason" text NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipeline_rows" (
	"run_id" text NOT NULL,
	"batch" integer NOT NULL,
	"stage" integer NOT NULL,
	"position" integer NOT NULL,
	"row_id" text NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pipeline_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text,
	"file" text NOT NULL,
	"pipeline" jsonb NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"batch_count" integer NOT NULL,
	"input_rows" integer NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"output_path" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pipeline_checkpoints" ADD CONSTRAINT "pipeline_checkpoints_run_id_pipeline_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."pipeline_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_rejects" ADD CONSTRAINT "pipeline_rejects_run_id_pipeline_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."pipeline_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pipeline_rows" ADD CONSTRAINT "pipeline_rows_run_id_pipeline_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."pipeline_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pipeline_checkpoints_pk" ON "pipeline_checkpoints" USING btree ("run_id","batch","block_index");--> statement-breakpoint
CREATE UNIQUE INDEX "pipeline_rejects_pk" ON "pipeline_rejects" USING btree ("run_id","batch","block_index","position");--> statement-breakpoint
CREATE UNIQUE INDEX "pipeline_rows_pk" ON "pipeline_rows" USING btree ("run_id","batch","stage","position");