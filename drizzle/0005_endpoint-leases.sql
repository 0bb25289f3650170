CREATE TABLE "endpoint_lease_slots" (
	"endpoint" text NOT NULL,
	"slot" integer NOT NULL,
	"holder" text,
	"expires_at" timestamp with time zone,
	CONSTRAINT "endpoint_lease_slots_endpoint_slot_pk" PRIMARY KEY("endpoint","slot")
);
