DROP INDEX "records_accept_seq_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "records_accept_seq_uq" ON "records" USING btree ("dataset_id","accept_seq") WHERE accept_seq is not null;