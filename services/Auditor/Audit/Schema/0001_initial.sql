-- The audit trail: every job event as it arrived, one row per root job and one per child job.
-- Same DDL (names of keys and indexes included) as the EF Core migration 20261122200845_Initial it replaces.
CREATE TABLE child_jobs (
    child_job_id uuid NOT NULL,
    root_job_id uuid NOT NULL,
    parent_job_id uuid NOT NULL,
    generation integer NOT NULL,
    task text NOT NULL,
    status text NOT NULL,
    error text,
    attempts integer NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_child_jobs" PRIMARY KEY (child_job_id)
);

CREATE TABLE job_events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    message_id uuid NOT NULL,
    root_job_id uuid NOT NULL,
    event_type text NOT NULL,
    payload jsonb NOT NULL,
    received_at timestamp with time zone NOT NULL,
    CONSTRAINT "PK_job_events" PRIMARY KEY (id)
);

CREATE TABLE root_jobs (
    root_job_id uuid NOT NULL,
    platform text NOT NULL,
    schedule text,
    status text NOT NULL,
    settings jsonb,
    total bigint NOT NULL,
    completed bigint NOT NULL,
    failed bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    error text,
    CONSTRAINT "PK_root_jobs" PRIMARY KEY (root_job_id)
);

CREATE INDEX "IX_child_jobs_root_job_id" ON child_jobs (root_job_id);

CREATE UNIQUE INDEX "IX_job_events_message_id" ON job_events (message_id);

CREATE INDEX "IX_job_events_root_job_id" ON job_events (root_job_id);

CREATE INDEX "IX_root_jobs_platform_started_at" ON root_jobs (platform, started_at);
