-- An attempt is recorded once: a commit re-sent after its answer was lost
-- must not add it again. Duplicates an earlier version recorded that way
-- are dropped. The unique index replaces attempts_instance (its prefix).
DELETE FROM attempts WHERE EXISTS (SELECT 1 FROM attempts b
    WHERE b.instance_id = attempts.instance_id AND b.step_key = attempts.step_key
      AND b.compensation = attempts.compensation AND b.number = attempts.number AND b.id < attempts.id);

CREATE UNIQUE INDEX attempts_number ON attempts (instance_id, step_key, compensation, number);
DROP INDEX attempts_instance;
