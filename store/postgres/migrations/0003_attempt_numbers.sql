-- An attempt is recorded once: a commit re-sent after its answer was lost
-- (the connection broke after the server committed) must not add it
-- again. Duplicates an earlier version recorded that way are dropped.
DELETE FROM attempts a USING attempts b
WHERE a.instance_id = b.instance_id AND a.step_key = b.step_key
  AND a.compensation = b.compensation AND a.number = b.number AND a.id > b.id;

CREATE UNIQUE INDEX attempts_number ON attempts (instance_id, step_key, compensation, number);
