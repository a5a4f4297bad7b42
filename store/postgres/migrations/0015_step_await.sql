-- Step.Await: the event type (and payload match) an event step waits
-- for, as JSON; NULL for the other steps.
ALTER TABLE steps ADD COLUMN await text;
