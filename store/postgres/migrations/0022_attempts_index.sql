-- attempts_instance (instance_id, id) duplicated the prefix of
-- attempts_number (instance_id, step_key, compensation, number), which
-- serves every lookup of an instance's attempts; each attempt appended
-- paid for both. SQLite dropped its copy in 0003.
DROP INDEX IF EXISTS attempts_instance;
