-- The privileges of the roles of roles.sql in one database (run in template1, so every database created from it has them,
-- and in the jobs database); idempotent. psql variable: owner.
-- Writers create their tables in the public schema (PostgreSQL 15 no longer lets every role do so) and own them.
SELECT format('GRANT USAGE, CREATE ON SCHEMA public TO %I', :'owner' || '_' || n)
FROM unnest(ARRAY['auditor', 'synthetic', 'preaggregates', 'movies', 'catalogue', 'reddit', 'rest']) AS n
\gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'owner' || '_reporting')
\gexec
-- Reporting reads every table, now and later, whoever creates it; it is granted nothing else.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA public GRANT SELECT ON TABLES TO %I', w, :'owner' || '_reporting')
FROM unnest(ARRAY[:'owner', :'owner' || '_auditor', :'owner' || '_synthetic', :'owner' || '_preaggregates', :'owner' || '_movies',
                  :'owner' || '_catalogue', :'owner' || '_reddit', :'owner' || '_rest']) AS w
\gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', :'owner' || '_reporting')
\gexec

-- Tables created before the roles existed (by the administrator role) go to their owners.
SELECT format('ALTER TABLE %I OWNER TO %I', c.relname, :'owner' || '_' || t.owner)
FROM (VALUES ('root_jobs', 'auditor'), ('child_jobs', 'auditor'), ('job_events', 'auditor'), ('root_job_generations', 'auditor'),
             ('data_measurements', 'auditor'), ('auditor_schema_migrations', 'auditor'),
             ('products', 'catalogue'), ('product_history', 'catalogue'),
             ('reddit_submissions', 'reddit'),
             ('movie_report', 'movies'), ('movie_report_loads', 'movies')) AS t(name, owner)
JOIN pg_class c ON c.relname = t.name AND c.relkind IN ('r', 'p')
JOIN pg_namespace s ON s.oid = c.relnamespace AND s.nspname = 'public'
WHERE pg_get_userbyid(c.relowner) = :'owner'
\gexec
