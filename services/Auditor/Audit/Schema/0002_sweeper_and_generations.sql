-- What the stuck-job sweeper needs (the last progress of a root, what each child spawned), durations, and the time to
-- complete each generation of children. Replaces the EF Core migration 20261122211124_SweeperAndGenerations.
ALTER TABLE root_jobs ADD last_progress_at timestamp with time zone;

ALTER TABLE child_jobs ADD group_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';

ALTER TABLE child_jobs ADD has_continuation boolean NOT NULL DEFAULT FALSE;

ALTER TABLE child_jobs ADD spawned integer NOT NULL DEFAULT 0;

ALTER TABLE root_jobs ADD duration_ms bigint GENERATED ALWAYS AS ((extract(epoch FROM (finished_at - started_at)) * 1000)::bigint) STORED;

ALTER TABLE child_jobs ADD duration_ms bigint GENERATED ALWAYS AS ((extract(epoch FROM (finished_at - started_at)) * 1000)::bigint) STORED;

CREATE TABLE root_job_generations (
    root_job_id uuid NOT NULL,
    generation integer NOT NULL,
    children bigint NOT NULL,
    failed bigint NOT NULL,
    first_started_at timestamp with time zone NOT NULL,
    last_finished_at timestamp with time zone NOT NULL,
    seconds_to_complete double precision NOT NULL,
    CONSTRAINT "PK_root_job_generations" PRIMARY KEY (root_job_id, generation)
);

CREATE INDEX "IX_root_jobs_status_last_progress_at" ON root_jobs (status, last_progress_at);
