-- The refusal's reason as a code with parameters (JSON), answered again with a repeated push.
ALTER TABLE mutations ADD COLUMN problem TEXT;
