ALTER TABLE "datasets" ADD COLUMN "writer_task_id" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "writer_run_id" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "writer_kind" text;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "writer_since" timestamp with time zone;